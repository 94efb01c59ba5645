using System.Text;
using Acaso.Mail.Actors.Delivery;

namespace Acaso.Mail.Actors.Tests.Delivery;

/// <summary>Brevo's webhook bodies as they come: either spelling of an event's name, one event or a batch, and what is refused.</summary>
public sealed class DeliveryEventsSpecs
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<string, string> Spellings => new()
    {
        { "hardBounce", "hard_bounce" }, { "hard_bounce", "hard_bounce" },
        { "softBounce", "soft_bounce" }, { "soft_bounce", "soft_bounce" },
        { "invalid", "invalid_email" }, { "invalid_email", "invalid_email" },
        { "uniqueOpened", "unique_opened" }, { "unique_opened", "unique_opened" },
        { "request", "request" }, { "delivered", "delivered" }, { "deferred", "deferred" }, { "blocked", "blocked" },
        { "spam", "spam" }, { "unsubscribed", "unsubscribed" }, { "opened", "opened" }, { "click", "click" }, { "error", "error" },
        { "proxy_open", "unknown" },
    };

    [Theory]
    [MemberData(nameof(Spellings))]
    public void DeliveryEvents_should_record_one_snake_case_name_for_both_spellings(string sent, string recorded)
    {
        var (events, rejection) = DeliveryEvents.Parse(Encoding.UTF8.GetBytes(
            $$"""{"event": "{{sent}}", "email": "Ana@Example.org", "message-id": "<1@relay>", "ts_epoch": 1764417600123, "template_id": 9, "reason": "box full"}"""), Now);
        Assert.Null(rejection);
        var delivery = Assert.Single(events);
        Assert.Equal((recorded, "ana@example.org", "<1@relay>", 9, "box full"), (delivery.Event, delivery.Email, delivery.MessageId, delivery.TemplateId, delivery.Reason));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1764417600123), delivery.At);
    }

    [Fact]
    public void DeliveryEvents_should_read_a_batch_in_order()
    {
        var (events, rejection) = DeliveryEvents.Parse(Encoding.UTF8.GetBytes(
            """[{"event": "delivered", "email": "a@example.org"}, {"event": "hardBounce", "email": "b@example.org", "ts_epoch": 5}]"""), Now);
        Assert.Null(rejection);
        Assert.Equal([("delivered", "a@example.org", Now), ("hard_bounce", "b@example.org", DateTimeOffset.FromUnixTimeMilliseconds(5))],
            events.Select(e => (e.Event, e.Email, e.At)));
    }

    public static TheoryData<string, string> Refused => new()
    {
        { "not json", "not JSON" },
        { "{\"email\": \"a@example.org\"}", "no \"event\"" },
        { "{\"event\": \"delivered\"}", "no \"email\"" },
        { "[{\"event\": \"delivered\", \"email\": \"a@example.org\"}, {\"event\": \"spam\"}]", "event 1: no \"email\"" },
        { "[1, 2]", "event 0: not a JSON object" },
        { "\"delivered\"", "not a JSON object" },
        { "{\"event\": \"delivered\", \"email\": \"a\\ud800@example.org\"}", "body.email holds an unpaired UTF-16 surrogate escape" },
        { "[{\"event\": \"delivered\", \"email\": \"a@example.org\"}, {\"\\udc00\": 1, \"event\": \"spam\", \"email\": \"b@example.org\"}]",
            "a property name in body[1] holds an unpaired UTF-16 surrogate escape" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void DeliveryEvents_should_refuse_a_body_it_cannot_record_saying_why(string body, string reason)
    {
        var (events, rejection) = DeliveryEvents.Parse(Encoding.UTF8.GetBytes(body), Now);
        Assert.Empty(events);
        Assert.Contains(reason, rejection!.Reason, StringComparison.Ordinal);
    }
}
