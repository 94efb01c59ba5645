using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Acaso.Mail.Actors.Brevo;

/// <summary>One request the stand-in accepted.</summary>
/// <param name="Body">The raw JSON body.</param>
/// <param name="IdempotencyKey">Its <c>headers.idempotencyKey</c>, if any.</param>
/// <param name="Sandbox">True when it carried <c>X-Sib-Sandbox: drop</c> (validated, not delivered).</param>
/// <param name="ApiKey">The api-key header it came with.</param>
/// <param name="At">When the stand-in accepted it.</param>
public sealed record CapturedMail(string Body, string? IdempotencyKey, bool Sandbox, string? ApiKey, DateTimeOffset At = default)
{
    /// <summary>The body as JSON.</summary>
    public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();
}

/// <summary>A scripted answer the stand-in gives instead of its normal one, in order, once each.</summary>
/// <param name="Status">The HTTP status to answer.</param>
/// <param name="Code">Brevo's error code in the body.</param>
/// <param name="Delay">How long to wait before answering (longer than the client's timeout makes a timeout).</param>
/// <param name="RateLimitReset">For 429: the <c>x-sib-ratelimit-reset</c> header, in seconds.</param>
/// <param name="AcceptFirst">Record the mail as sent, then answer this (a lost answer to a request that went through).</param>
public sealed record ScriptedAnswer(int Status, string Code = "", TimeSpan Delay = default, int? RateLimitReset = null, bool AcceptFirst = false);

/// <summary>
/// A Brevo stand-in on loopback speaking the real API's shapes and errors: <c>POST /v3/smtp/email</c> and
/// <c>GET /v3/account</c>, the api-key check, the 30-minute idempotency window, sandbox mode, the free plan's
/// credits. The service uses it as its capture sink when no API key is set; the tests script faults into it.
/// </summary>
public sealed class BrevoStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<CapturedMail> _received = new();
    private readonly ConcurrentQueue<ScriptedAnswer> _script = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _keys = new();
    private readonly string? _outboxPath;
    private readonly string? _requiredApiKey;
    private readonly TimeProvider _clock;
    private readonly Lock _gate = new();
    private int _credits;
    private int _requests;

    private BrevoStandIn(WebApplication app, string? outboxPath, string? requiredApiKey, int credits, TimeProvider clock)
    {
        _app = app;
        _outboxPath = outboxPath;
        _requiredApiKey = requiredApiKey;
        _credits = credits;
        _clock = clock;
    }

    /// <summary>The API base to configure as <c>SENDINBLUE_URL</c>, such as <c>http://127.0.0.1:40123/v3</c>.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Mails accepted and delivered (sandboxed ones excluded), in order.</summary>
    public IReadOnlyList<CapturedMail> Delivered => _received.Where(m => !m.Sandbox).ToList();

    /// <summary>Every request accepted, sandboxed ones included.</summary>
    public IReadOnlyList<CapturedMail> Accepted => _received.ToList();

    /// <summary>Every <c>POST /smtp/email</c> that reached the stand-in, whatever it answered.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>How long every normal answer to <c>POST /smtp/email</c> takes (a real provider's latency).</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>The free plan's credits left today, as <c>GET /account</c> reports them.</summary>
    public int Credits
    {
        get { lock (_gate) { return _credits; } }
        set { lock (_gate) { _credits = value; } }
    }

    /// <summary>Starts the stand-in on 127.0.0.1.</summary>
    /// <param name="port">0 picks a free port.</param>
    /// <param name="outboxPath">When set, every accepted mail is appended to this file as one JSON line.</param>
    /// <param name="requiredApiKey">When set, requests without exactly this key get 401.</param>
    /// <param name="credits">The free plan's credits for today.</param>
    /// <param name="clock">The clock of the idempotency window.</param>
    public static async Task<BrevoStandIn> StartAsync(int port = 0, string? outboxPath = null, string? requiredApiKey = null,
        int credits = 300, TimeProvider? clock = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var standIn = new BrevoStandIn(app, outboxPath, requiredApiKey, credits, clock ?? TimeProvider.System);
        app.MapPost("/v3/smtp/email", (Delegate)standIn.SendAsync);
        app.MapGet("/v3/account", (Delegate)standIn.Account);
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetService(typeof(IServer)) is IServer server
            ? server.Features.Get<IServerAddressesFeature>()!.Addresses.First()
            : throw new InvalidOperationException("no server");
        standIn.BaseUrl = new Uri(address.TrimEnd('/') + "/v3");
        return standIn;
    }

    /// <summary>Queues answers to give, in order, before answering normally again.</summary>
    public void Script(params ScriptedAnswer[] answers)
    {
        foreach (var answer in answers)
        {
            _script.Enqueue(answer);
        }
    }

    private async Task<IResult> SendAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        var apiKey = context.Request.Headers["api-key"].FirstOrDefault();
        string body;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        }

        if (_script.TryDequeue(out var scripted))
        {
            if (scripted.AcceptFirst)
            {
                await AcceptAsync(body, apiKey).ConfigureAwait(false);
            }

            if (scripted.Delay > TimeSpan.Zero)
            {
                await Task.Delay(scripted.Delay, context.RequestAborted).ConfigureAwait(false);
            }

            if (scripted.RateLimitReset is { } reset)
            {
                context.Response.Headers["x-sib-ratelimit-limit"] = "10";
                context.Response.Headers["x-sib-ratelimit-remaining"] = "0";
                context.Response.Headers["x-sib-ratelimit-reset"] = reset.ToString(CultureInfo.InvariantCulture);
            }

            return Error(scripted.Status, scripted.Code.Length > 0 ? scripted.Code : "scripted", "scripted answer");
        }

        if (Latency > TimeSpan.Zero)
        {
            await Task.Delay(Latency, context.RequestAborted).ConfigureAwait(false);
        }

        if (string.IsNullOrEmpty(apiKey) || (_requiredApiKey is not null && apiKey != _requiredApiKey))
        {
            return Error(401, "unauthorized", "Key not found");
        }

        JsonElement json;
        try
        {
            json = JsonDocument.Parse(body).RootElement.Clone();
        }
        catch (JsonException)
        {
            return Error(400, "bad_request", "Input must be a valid JSON object");
        }

        if (json.ValueKind != JsonValueKind.Object)
        {
            return Error(400, "bad_request", "Input must be a valid JSON object");
        }

        if (!json.TryGetProperty("templateId", out var template) || template.ValueKind != JsonValueKind.Number)
        {
            return Error(400, "missing_parameter", "templateId is missing");
        }

        if (!json.TryGetProperty("to", out var to) || to.ValueKind != JsonValueKind.Array || to.GetArrayLength() == 0
            || to.EnumerateArray().Any(r => !r.TryGetProperty("email", out var e) || e.ValueKind != JsonValueKind.String))
        {
            return Error(400, "missing_parameter", "to is missing or has no email");
        }

        var key = Header(json, "idempotencyKey");
        var now = _clock.GetUtcNow();
        var sandbox = Header(json, "X-Sib-Sandbox") == "drop";
        lock (_gate)
        {
            // One check-and-claim, as Brevo does: two concurrent requests with one key cannot both go through.
            if (key is not null && _keys.TryGetValue(key, out var seen) && now - seen < TimeSpan.FromMinutes(30))
            {
                return Error(400, "duplicate_parameter", "Request with the same idempotencyKey already processed");
            }

            if (!sandbox && _credits <= 0)
            {
                return Error(402, "not_enough_credits", "You don't have enough credit to send the email");
            }

            if (key is not null)
            {
                _keys[key] = now;
            }
        }

        await AcceptAsync(body, apiKey).ConfigureAwait(false);
        return Results.Json(new { messageId = $"<{Guid.NewGuid():N}@smtp-relay.mailin.fr>" }, statusCode: 201);
    }

    private async Task AcceptAsync(string body, string? apiKey)
    {
        string? key = null;
        var sandbox = false;
        try
        {
            var json = JsonDocument.Parse(body).RootElement;
            key = Header(json, "idempotencyKey");
            sandbox = Header(json, "X-Sib-Sandbox") == "drop";
        }
        catch (JsonException)
        {
            // A scripted AcceptFirst may carry anything: it is recorded as it came.
        }

        if (key is not null)
        {
            _keys[key] = _clock.GetUtcNow();
        }

        if (!sandbox)
        {
            lock (_gate)
            {
                _credits--;
            }
        }

        _received.Enqueue(new CapturedMail(body, key, sandbox, apiKey, _clock.GetUtcNow()));
        if (_outboxPath is not null)
        {
            lock (_gate)
            {
                File.AppendAllText(_outboxPath, body.ReplaceLineEndings("") + "\n");
            }
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    private IResult Account(HttpContext context)
    {
        var apiKey = context.Request.Headers["api-key"].FirstOrDefault();
        if (string.IsNullOrEmpty(apiKey) || (_requiredApiKey is not null && apiKey != _requiredApiKey))
        {
            return Error(401, "unauthorized", "Key not found");
        }

        return Results.Json(new
        {
            email = "ops@aca.so",
            companyName = "Acaso",
            plan = new object[]
            {
                new { type = "free", creditsType = "sendLimit", credits = Credits },
                new { type = "sms", creditsType = "sendLimit", credits = 0 },
            },
        });
    }

    private static string? Header(JsonElement json, string name) =>
        json.TryGetProperty("headers", out var headers) && headers.ValueKind == JsonValueKind.Object
        && headers.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static IResult Error(int status, string code, string message) =>
        Results.Json(new { code, message }, statusCode: status);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
