using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using Acaso.Mail.Actors.Settings;

namespace Acaso.Mail.Actors.Brevo;

/// <summary>The two Brevo calls the service makes. An interface so the simulator can run a day without HTTP.</summary>
public interface IBrevoClient
{
    /// <summary>Sends one rendered request body (<c>POST /smtp/email</c>) and classifies the answer.</summary>
    Task<SendOutcome> SendAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken);

    /// <summary>The free plan's remaining credits for today (<c>GET /account</c>), or null when Brevo cannot say.</summary>
    Task<int?> GetRemainingCreditsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// One page of Brevo's blocked transactional contacts (<c>GET /smtp/blockedContacts</c>, <see cref="BrevoClient.BlockedContactsPage"/>
    /// a page from <paramref name="offset"/>). Throws when Brevo does not answer with them.
    /// </summary>
    Task<BlockedContacts> GetBlockedContactsAsync(int offset, CancellationToken cancellationToken);
}

/// <summary>An address Brevo blocks, with its reason in this service's spelling (<c>hard_bounce</c>, <c>spam</c>, <c>unsubscribed</c>, <c>blocked</c>).</summary>
public sealed record BlockedContact(string Email, string Reason, DateTimeOffset? BlockedAt);

/// <summary>A page of blocked contacts and how many there are in all.</summary>
public sealed record BlockedContacts(IReadOnlyList<BlockedContact> Contacts, int Total);

/// <summary>
/// The typed HttpClient for Brevo's transactional API v3. It sends the <c>api-key</c> header and never puts the
/// key anywhere else: not in a log line, not in an exception, not in an outcome.
/// </summary>
public sealed class BrevoClient(HttpClient http, BrevoSettings settings) : IBrevoClient
{
    private readonly Uri _base = new(settings.Url.ToString().TrimEnd('/') + "/");

    /// <inheritdoc />
    public async Task<SendOutcome> SendAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_base, "smtp/email"))
        {
            Content = new ReadOnlyMemoryContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        Authorize(request);

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller's timeout: let the resilience pipeline see it as one.
            throw;
        }
        catch (TaskCanceledException)
        {
            return new TransientFailure("timeout", "Brevo did not answer in time", Ambiguous: true);
        }
        catch (HttpRequestException e)
        {
            var refused = e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused };
            return new TransientFailure("connection_failed", $"{e.HttpRequestError}: {Describe(e)}", Ambiguous: !refused);
        }

        using (response)
        {
            if (response.StatusCode == HttpStatusCode.Created)
            {
                var id = await ReadStringAsync(response, "messageId", cancellationToken).ConfigureAwait(false);
                return new Sent(id ?? "");
            }

            // Every request carries an idempotency key, so duplicate_parameter means an earlier attempt went through.
            var (code, message) = await ReadErrorAsync(response, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (status == 400 && code == "duplicate_parameter")
            {
                return new Sent(null);
            }

            if (status == 429)
            {
                return new TransientFailure("rate_limited", $"429 {code}: {message}", RateLimitReset(response));
            }

            if (status >= 500)
            {
                return new TransientFailure("server_error", $"{status} {code}: {message}", Ambiguous: status is 504);
            }

            return new PermanentFailure(status, code, message);
        }
    }

    /// <summary>The page size of <see cref="GetBlockedContactsAsync"/> (Brevo's largest).</summary>
    public const int BlockedContactsPage = 100;

    /// <inheritdoc />
    public async Task<BlockedContacts> GetBlockedContactsAsync(int offset, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get,
            new Uri(_base, string.Create(CultureInfo.InvariantCulture, $"smtp/blockedContacts?limit={BlockedContactsPage}&offset={offset}")));
        Authorize(request);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"GET /smtp/blockedContacts answered {(int)response.StatusCode}", null, response.StatusCode);
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var json = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        var contacts = new List<BlockedContact>();
        if (json.RootElement.TryGetProperty("contacts", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var contact in list.EnumerateArray())
            {
                if (!contact.TryGetProperty("email", out var email) || email.ValueKind != JsonValueKind.String)
                {
                    continue;
                }

                var code = contact.TryGetProperty("reason", out var reason) && reason.ValueKind == JsonValueKind.Object
                           && reason.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "blocked";
                DateTimeOffset? at = contact.TryGetProperty("blockedAt", out var blocked) && blocked.ValueKind == JsonValueKind.String
                                     && DateTimeOffset.TryParse(blocked.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when)
                    ? when
                    : null;
                contacts.Add(new BlockedContact(email.GetString()!.Trim().ToLowerInvariant(), ReasonOf(code), at));
            }
        }

        var total = json.RootElement.TryGetProperty("count", out var count) && count.TryGetInt32(out var n) ? n : contacts.Count;
        return new BlockedContacts(contacts, total);
    }

    /// <summary>Brevo's blocking reason codes in this service's spelling.</summary>
    private static string ReasonOf(string code) => code switch
    {
        "hardBounce" => "hard_bounce",
        "contactFlaggedAsSpam" => "spam",
        "adminBlocked" => "blocked",
        _ when code.StartsWith("unsubscribed", StringComparison.Ordinal) => "unsubscribed",
        _ => code,
    };

    /// <inheritdoc />
    public async Task<int?> GetRemainingCreditsAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_base, "account"));
        Authorize(request);
        try
        {
            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            using var json = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!json.RootElement.TryGetProperty("plan", out var plans) || plans.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            foreach (var plan in plans.EnumerateArray())
            {
                if (plan.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "free"
                    && plan.TryGetProperty("credits", out var credits) && credits.TryGetDouble(out var value))
                {
                    return (int)Math.Max(0, Math.Floor(value));
                }
            }

            return null;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException or InvalidOperationException)
        {
            // InvalidOperationException: valid JSON with text no string can hold (an unpaired "\ud800" escape).
            return null;
        }
    }

    private void Authorize(HttpRequestMessage request)
    {
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (!settings.ApiKey.IsEmpty)
        {
            request.Headers.TryAddWithoutValidation("api-key", settings.ApiKey.Reveal());
        }
    }

    private static string Describe(HttpRequestException e) =>
        e.InnerException is SocketException socket ? socket.SocketErrorCode.ToString() : e.Message;

    private static TimeSpan? RateLimitReset(HttpResponseMessage response) =>
        response.Headers.TryGetValues("x-sib-ratelimit-reset", out var values)
        && double.TryParse(values.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
        && seconds >= 0
            ? TimeSpan.FromSeconds(seconds)
            : null;

    private static async Task<string?> ReadStringAsync(HttpResponseMessage response, string property, CancellationToken ct)
    {
        try
        {
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            using var json = JsonDocument.Parse(text);
            return json.RootElement.ValueKind == JsonValueKind.Object
                   && json.RootElement.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private static async Task<(string Code, string Message)> ReadErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        try
        {
            using var json = JsonDocument.Parse(text);
            var root = json.RootElement;
            string? Field(string name) => root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var v)
                                          && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            return (Field("code") ?? $"http_{(int)response.StatusCode}", Field("message") ?? "");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return ($"http_{(int)response.StatusCode}", text.Length > 200 ? text[..200] : text);
        }
    }
}
