using System.Security.Cryptography;
using System.Text;
using Acaso.Mail.Actors.Settings;
using Akka.Actor;
using Microsoft.AspNetCore.Http;

namespace Acaso.Mail.Actors.Delivery;

/// <summary>
/// <c>POST /webhooks/brevo</c>: Brevo's transactional webhook. Every request must carry <c>Authorization: Bearer
/// &lt;MAIL_WEBHOOK_TOKEN&gt;</c> (compared in constant time): missing or wrong, 401 and nothing recorded. A body over
/// 1 MiB is 413; one that is not JSON (or holds an unpaired surrogate escape, <see cref="Contract.JsonText"/>), or an event
/// without <c>event</c> or <c>email</c>, is 400 with the reason. The
/// events (one, or a batch) go to the Delivery actor and the answer is immediate: 200, or 202 when an event's name is
/// not one Brevo documents (it is counted as <c>unknown</c>). Nothing here waits on Brevo or the broker.
/// </summary>
public static class BrevoWebhook
{
    /// <summary>The path Brevo's webhook is configured with.</summary>
    public const string Path = "/webhooks/brevo";

    /// <summary>The largest body accepted.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    /// <summary>Handles one request.</summary>
    public static async Task<IResult> HandleAsync(HttpContext context, Secret token, IActorRef delivery, DateTimeOffset now)
    {
        if (!Authorized(context.Request.Headers.Authorization.ToString(), token))
        {
            return Results.Json(new { error = "missing or wrong bearer token" }, statusCode: StatusCodes.Status401Unauthorized);
        }

        if (context.Request.ContentLength > MaxBodyBytes)
        {
            return TooLarge();
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return TooLarge();
            }

            buffer.Write(chunk, 0, read);
        }

        var (events, rejection) = DeliveryEvents.Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), now);
        if (rejection is not null)
        {
            return Results.Json(new { error = rejection.Reason }, statusCode: StatusCodes.Status400BadRequest);
        }

        delivery.Tell(new DeliveryProtocol.Received(events));
        return events.Any(e => e.Event == "unknown")
            ? Results.Json(new { recorded = events.Count, unknown = events.Count(e => e.Event == "unknown") }, statusCode: StatusCodes.Status202Accepted)
            : Results.Json(new { recorded = events.Count });
    }

    /// <summary>True when <paramref name="authorization"/> is <c>Bearer &lt;token&gt;</c>, compared in constant time.</summary>
    public static bool Authorized(string authorization, Secret token)
    {
        const string scheme = "Bearer ";
        if (token.IsEmpty || !authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var given = SHA256.HashData(Encoding.UTF8.GetBytes(authorization[scheme.Length..].Trim()));
        var expected = SHA256.HashData(Encoding.UTF8.GetBytes(token.Reveal()));
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }

    private static IResult TooLarge() =>
        Results.Json(new { error = $"the body is over {MaxBodyBytes} bytes" }, statusCode: StatusCodes.Status413PayloadTooLarge);
}
