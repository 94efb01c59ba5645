using System.Text.Json;
using Acaso.Mail.Actors.Contract;

namespace Acaso.Mail.Actors.Delivery;

/// <summary>One of Brevo's transactional webhook events, its name in one spelling (snake_case).</summary>
/// <param name="Event">The event, such as <c>hard_bounce</c>; <c>unknown</c> for a name Brevo may add later.</param>
/// <param name="Email">The recipient, lower-cased.</param>
/// <param name="MessageId">Brevo's message id (as its 201 answered it), if given.</param>
/// <param name="At">When it happened (<c>ts_epoch</c>, milliseconds), or when it arrived.</param>
/// <param name="TemplateId">The event's <c>template_id</c>, if given.</param>
/// <param name="Reason">Brevo's reason (a bounce's), if given.</param>
/// <param name="TsEpoch">The raw <c>ts_epoch</c>: with the message id and the event, what makes a retry the same event.</param>
public sealed record DeliveryEvent(string Event, string Email, string? MessageId, DateTimeOffset At, int? TemplateId, string? Reason, long TsEpoch);

/// <summary>Why a webhook body was refused (400), with the reason said to Brevo.</summary>
public sealed record WebhookRejection(string Reason);

/// <summary>
/// Reads Brevo's transactional webhook bodies: one event or a batch (a JSON array). Brevo spells events two ways
/// (subscription names in camelCase, event logs in snake_case); both map to one snake_case name.
/// </summary>
public static class DeliveryEvents
{
    /// <summary>Every name Brevo sends, in both spellings, to the one this service records.</summary>
    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["request"] = "request", ["requests"] = "request",
        ["delivered"] = "delivered",
        ["deferred"] = "deferred",
        ["hardBounce"] = "hard_bounce", ["hard_bounce"] = "hard_bounce",
        ["softBounce"] = "soft_bounce", ["soft_bounce"] = "soft_bounce",
        ["invalid"] = "invalid_email", ["invalid_email"] = "invalid_email",
        ["blocked"] = "blocked",
        ["spam"] = "spam",
        ["unsubscribed"] = "unsubscribed",
        ["opened"] = "opened",
        ["uniqueOpened"] = "unique_opened", ["unique_opened"] = "unique_opened",
        ["click"] = "click",
        ["error"] = "error",
    };

    /// <summary>The events that put an address on the suppression list at once.</summary>
    public static readonly IReadOnlySet<string> Suppressing = new HashSet<string> { "hard_bounce", "invalid_email", "blocked", "spam", "unsubscribed" };

    /// <summary>Parses a webhook body: its events, or why it is refused.</summary>
    public static (IReadOnlyList<DeliveryEvent> Events, WebhookRejection? Rejection) Parse(ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(body);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException e)
        {
            return ([], new WebhookRejection($"the body is not JSON: {e.Message.Split('.')[0]}"));
        }

        using (document)
        {
            var root = document.RootElement;
            if (JsonText.UnpairedSurrogate(body, root, "body") is { } halfCharacter)
            {
                return ([], new WebhookRejection($"{halfCharacter} holds an unpaired UTF-16 surrogate escape"));
            }

            var items = root.ValueKind == JsonValueKind.Array ? root.EnumerateArray().ToList() : [root];
            var events = new List<DeliveryEvent>(items.Count);
            for (var i = 0; i < items.Count; i++)
            {
                var where = root.ValueKind == JsonValueKind.Array ? $"event {i}: " : "";
                if (items[i].ValueKind != JsonValueKind.Object)
                {
                    return ([], new WebhookRejection($"{where}not a JSON object"));
                }

                if (Text(items[i], "event") is not { Length: > 0 } name)
                {
                    return ([], new WebhookRejection($"{where}no \"event\""));
                }

                if (Text(items[i], "email") is not { Length: > 0 } email)
                {
                    return ([], new WebhookRejection($"{where}no \"email\""));
                }

                var ts = items[i].TryGetProperty("ts_epoch", out var epoch) && epoch.TryGetInt64(out var ms) ? ms : 0;
                events.Add(new DeliveryEvent(Names.GetValueOrDefault(name, "unknown"), Suppression.Key(email), Text(items[i], "message-id"),
                    ts > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(ts) : now,
                    items[i].TryGetProperty("template_id", out var template) && template.TryGetInt32(out var id) ? id : null,
                    Text(items[i], "reason"), ts));
            }

            return (events, null);
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
