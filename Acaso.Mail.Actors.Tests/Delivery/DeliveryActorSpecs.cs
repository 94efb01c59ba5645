using Acaso.Mail.Actors.Delivery;
using Acaso.Mail.Actors.Events;
using Acaso.Mail.Actors.Tests.Support;
using Akka.Actor;

namespace Acaso.Mail.Actors.Tests.Delivery;

/// <summary>The Delivery actor over the SQLite store: what suppresses an address, what is recorded once, what is purged.</summary>
public sealed class DeliveryActorSpecs : Akka.TestKit.Xunit2.TestKit, IDisposable
{
    private static readonly DateTimeOffset Start = DateTimeOffset.UtcNow;
    private readonly TempStateDir _state = new();
    private readonly SqliteDeliveryStore _store;
    private readonly IActorRef _delivery;

    public DeliveryActorSpecs()
    {
        _store = new SqliteDeliveryStore(_state.Path);
        _delivery = Sys.ActorOf(DeliveryActor.Props(_store, new DeliverySettings(SoftBounceLimit: 5)));
        Sys.EventStream.Subscribe(TestActor, typeof(MailEvents.DeliveryReported));
    }

    private void Report(params DeliveryEvent[] events)
    {
        _delivery.Tell(new DeliveryProtocol.Received(events));
        // Another probe waits for the flush, so the events published meanwhile stay for the spec to read.
        var flushed = CreateTestProbe();
        _delivery.Tell(DeliveryProtocol.Flush.Instance, flushed.Ref);
        flushed.ExpectMsg<DeliveryProtocol.Done>();
    }

    private static DeliveryEvent Event(string name, string email = "mentor@example.org", int n = 0, string? messageId = "<m@relay>") =>
        new(name, email, messageId, Start.AddMinutes(n), 7, null, Start.AddMinutes(n).ToUnixTimeMilliseconds());

    [Theory]
    [InlineData("hard_bounce")]
    [InlineData("invalid_email")]
    [InlineData("blocked")]
    [InlineData("spam")]
    [InlineData("unsubscribed")]
    public void DeliveryActor_should_suppress_an_address_at_once_on(string name)
    {
        Report(Event(name));
        Assert.Equal(name, _store.Suppressed("mentor@example.org")!.Reason);
    }

    [Theory]
    [InlineData("delivered")]
    [InlineData("deferred")]
    [InlineData("opened")]
    [InlineData("soft_bounce")]
    [InlineData("unknown")]
    public void DeliveryActor_should_not_suppress_an_address_on_one(string name)
    {
        Report(Event(name));
        Assert.Null(_store.Suppressed("mentor@example.org"));
    }

    [Fact]
    public void Five_soft_bounces_in_a_row_should_suppress_and_four_should_not()
    {
        Report(Enumerable.Range(0, 4).Select(i => Event("soft_bounce", n: i, messageId: $"<{i}@relay>")).ToArray());
        Assert.Null(_store.Suppressed("mentor@example.org"));
        Report(Event("soft_bounce", n: 4, messageId: "<4@relay>"));
        Assert.Equal("soft_bounce", _store.Suppressed("mentor@example.org")!.Reason);
    }

    [Fact]
    public void A_delivery_between_soft_bounces_should_start_the_streak_again()
    {
        Report([.. Enumerable.Range(0, 4).Select(i => Event("soft_bounce", n: i, messageId: $"<{i}@relay>")), Event("delivered", n: 5, messageId: "<5@relay>"),
            .. Enumerable.Range(6, 4).Select(i => Event("soft_bounce", n: i, messageId: $"<{i}@relay>"))]);
        Assert.Null(_store.Suppressed("mentor@example.org"));
    }

    [Fact]
    public void Soft_bounces_spread_over_more_than_7_days_should_not_suppress()
    {
        Report(Enumerable.Range(0, 5).Select(i => Event("soft_bounce", n: i * 60 * 24 * 2, messageId: $"<{i}@relay>")).ToArray());
        Assert.Null(_store.Suppressed("mentor@example.org"));
    }

    [Fact]
    public void The_same_event_retried_by_Brevo_should_be_recorded_once()
    {
        Report(Event("soft_bounce"), Event("soft_bounce"), Event("soft_bounce"));
        Assert.Single(_store.History("mentor@example.org"));
        Assert.Equal("soft_bounce", ExpectMsg<MailEvents.DeliveryReported>().Event);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void An_event_should_carry_the_template_of_the_message_Brevo_accepted()
    {
        _delivery.Tell(new DeliveryProtocol.Record(new HistoryEntry(Start, "mentor@example.org", "sent", new Dictionary<string, object?>()), "<m@relay>", 11));
        Report(Event("delivered"));
        Assert.Equal(11, ExpectMsg<MailEvents.DeliveryReported>().Template);
        Report(Event("delivered", messageId: "<not-ours@relay>"));
        Assert.Equal(7, ExpectMsg<MailEvents.DeliveryReported>().Template);
    }

    [Fact]
    public void History_older_than_the_retention_should_be_purged_when_the_actor_starts()
    {
        _store.Record(new HistoryEntry(Start.AddDays(-31), "old@example.org", "taken", new Dictionary<string, object?> { ["priority"] = 150 }));
        _store.Record(new HistoryEntry(Start.AddDays(-29), "old@example.org", "sent", new Dictionary<string, object?>()));
        Sys.ActorOf(DeliveryActor.Props(_store, new DeliverySettings(HistoryDays: 30))).Tell(DeliveryProtocol.Flush.Instance, TestActor);
        FishForMessage(m => m is DeliveryProtocol.Done);
        Assert.Equal(["sent"], _store.History("old@example.org").Select(h => h.Kind));
    }

    void IDisposable.Dispose()
    {
        Shutdown();
        _state.Dispose();
    }
}
