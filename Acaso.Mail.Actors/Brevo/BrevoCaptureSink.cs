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

/// <summary>
/// Brevo on loopback, speaking the real API's shapes and errors: <c>POST /v3/smtp/email</c> and <c>GET /v3/account</c>,
/// the api-key check, the 30-minute idempotency window, sandbox mode, the free plan's credits. The product keeps it
/// on purpose: <c>run</c> sends to it when no API key is set (each accepted mail appended to an outbox file), and the
/// bench measures against it. The specs derive a fault-scripting stand-in from it (<see cref="InterceptAsync"/>).
/// </summary>
/// <param name="outboxPath">When set, every accepted mail is appended to this file as one JSON line.</param>
/// <param name="requiredApiKey">When set, requests without exactly this key get 401.</param>
/// <param name="credits">The free plan's credits for today.</param>
/// <param name="clock">The clock of the idempotency window.</param>
public class BrevoCaptureSink(string? outboxPath = null, string? requiredApiKey = null, int credits = 300, TimeProvider? clock = null)
    : IAsyncDisposable
{
    private readonly ConcurrentQueue<CapturedMail> _received = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _keys = new();
    private readonly string? _outboxPath = outboxPath;
    private readonly string? _requiredApiKey = requiredApiKey;
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private WebApplication? _app;
    private int _credits = credits;
    private int _requests;
    private int _duplicates;

    /// <summary>The API base to configure as <c>SENDINBLUE_URL</c>, such as <c>http://127.0.0.1:40123/v3</c>.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Mails accepted and delivered (sandboxed ones excluded), in order.</summary>
    public IReadOnlyList<CapturedMail> Delivered => _received.Where(m => !m.Sandbox).ToList();

    /// <summary>Every <c>POST /smtp/email</c> that reached the stand-in, whatever it answered.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Requests refused as <c>duplicate_parameter</c>: a second send of a key, stopped only by the key.</summary>
    public int DuplicatesRefused => Volatile.Read(ref _duplicates);

    /// <summary>How long every normal answer to <c>POST /smtp/email</c> takes (a real provider's latency, for the bench).</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>The free plan's credits left today, as <c>GET /account</c> reports them.</summary>
    public int Credits
    {
        get { lock (_gate) { return _credits; } }
        set { lock (_gate) { _credits = value; } }
    }

    /// <summary>Listens on 127.0.0.1:<paramref name="port"/> (0 picks a free port) and sets <see cref="BaseUrl"/>.</summary>
    public async Task ListenAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        _app = builder.Build();
        _app.MapPost("/v3/smtp/email", (Delegate)SendAsync);
        _app.MapGet("/v3/account", (Delegate)Account);
        _app.MapGet("/v3/smtp/blockedContacts", (Delegate)BlockedContactsPage);
        await _app.StartAsync().ConfigureAwait(false);
        var address = _app.Services.GetService(typeof(IServer)) is IServer server
            ? server.Features.Get<IServerAddressesFeature>()!.Addresses.First()
            : throw new InvalidOperationException("no server");
        BaseUrl = new Uri(address.TrimEnd('/') + "/v3");
    }

    /// <summary>
    /// Where to post a delivery event for each accepted mail, as Brevo's transactional webhook does (null: nowhere). <c>run</c>
    /// points it at the service's own <c>/webhooks/brevo</c> when <c>MAIL_WEBHOOK_TOKEN</c> is set, so a local run sees the
    /// whole loop.
    /// </summary>
    public Uri? WebhookUrl { get; set; }

    /// <summary>The bearer token the webhook posts carry.</summary>
    public string? WebhookToken { get; set; }

    /// <summary>The event Brevo would report for a mail to <paramref name="email"/>: <c>delivered</c>; a derived stand-in scripts others.</summary>
    protected virtual string EventFor(string email) => "delivered";

    /// <summary>How long after accepting a mail its delivery event is posted (a real hop to the recipient's server takes a while).</summary>
    public TimeSpan DeliveryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    private async Task NotifyAsync(JsonElement mail, string messageId)
    {
        await Task.Delay(DeliveryDelay).ConfigureAwait(false);
        foreach (var recipient in mail.GetProperty("to").EnumerateArray())
        {
            var email = recipient.GetProperty("email").GetString()!;
            var payload = JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["event"] = EventFor(email),
                ["email"] = email,
                ["message-id"] = messageId,
                ["ts_epoch"] = _clock.GetUtcNow().ToUnixTimeMilliseconds(),
                ["template_id"] = mail.TryGetProperty("templateId", out var template) && template.TryGetInt32(out var id) ? id : null,
            });
            using var request = new HttpRequestMessage(HttpMethod.Post, WebhookUrl) { Content = new StringContent(payload, Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", WebhookToken);
            try
            {
                using var response = await Webhooks.SendAsync(request).ConfigureAwait(false);
            }
            catch (HttpRequestException)
            {
                // Brevo retries later; a local sink does not: the event is simply missed, as when the service is down.
            }
        }
    }

    private static readonly HttpClient Webhooks = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>
    /// Called with each <c>POST /smtp/email</c> before the normal answer: a non-null result is answered instead. None here;
    /// a derived stand-in scripts faults with it.
    /// </summary>
    protected virtual Task<IResult?> InterceptAsync(HttpContext context, string body) => Task.FromResult<IResult?>(null);

    private async Task<IResult> SendAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        var apiKey = context.Request.Headers["api-key"].FirstOrDefault();
        string body;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        }

        if (await InterceptAsync(context, body).ConfigureAwait(false) is { } intercepted)
        {
            return intercepted;
        }

        if (Latency > TimeSpan.Zero)
        {
            // As Brevo does, a request received whole is processed (and charged) even if its client goes away meanwhile.
            await Task.Delay(Latency, CancellationToken.None).ConfigureAwait(false);
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
                Interlocked.Increment(ref _duplicates);
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
        var messageId = $"<{Guid.NewGuid():N}@smtp-relay.mailin.fr>";
        if (!sandbox && WebhookUrl is not null)
        {
            _ = NotifyAsync(json, messageId);
        }

        return Results.Json(new { messageId }, statusCode: 201);
    }

    /// <summary>Records <paramref name="body"/> as accepted (charged, captured, appended to the outbox).</summary>
    protected async Task AcceptAsync(string body, string? apiKey)
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

    /// <summary>The contacts Brevo blocks, with Brevo's reason codes (<c>hardBounce</c>, <c>contactFlaggedAsSpam</c> …), served paged as Brevo does.</summary>
    public ConcurrentQueue<(string Email, string Code)> Blocked { get; } = new();

    /// <summary>How many pages of blocked contacts were asked for.</summary>
    public int BlockedContactsRequests => Volatile.Read(ref _blockedRequests);

    private int _blockedRequests;

    private IResult BlockedContactsPage(HttpContext context)
    {
        Interlocked.Increment(ref _blockedRequests);
        var apiKey = context.Request.Headers["api-key"].FirstOrDefault();
        if (string.IsNullOrEmpty(apiKey) || (_requiredApiKey is not null && apiKey != _requiredApiKey))
        {
            return Error(401, "unauthorized", "Key not found");
        }

        var limit = int.TryParse(context.Request.Query["limit"], CultureInfo.InvariantCulture, out var l) ? Math.Clamp(l, 1, 100) : 50;
        var offset = int.TryParse(context.Request.Query["offset"], CultureInfo.InvariantCulture, out var o) ? Math.Max(0, o) : 0;
        var all = Blocked.ToList();
        return Results.Json(new
        {
            contacts = all.Skip(offset).Take(limit).Select(c => new
            {
                email = c.Email,
                senderEmail = "ops@aca.so",
                reason = new { code = c.Code, message = "blocked" },
                blockedAt = "2026-11-01T10:00:00.000Z",
            }),
            count = all.Count,
        });
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

    /// <summary>An answer in Brevo's error shape.</summary>
    protected static IResult Error(int status, string code, string message) =>
        Results.Json(new { code, message }, statusCode: status);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }

        GC.SuppressFinalize(this);
    }
}
