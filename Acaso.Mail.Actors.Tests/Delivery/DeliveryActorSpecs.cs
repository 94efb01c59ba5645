using Acaso.Mail.Actors.Delivery;
using Acaso.Mail.Actors.Events;
using Acaso.Mail.Actors.Tests.Support;
using Akka.Actor;

namespace Acaso.Mail.Actors.Tests.Delivery;

/// <summary>The Delivery actor over the SQLite store (one node): what suppresses an address, what is recorded once, what is purged.</summary>
public sealed class DeliveryActorSpecs : DeliveryActorSpecsBase
{
    private readonly TempStateDir _state = new();

    protected override Task<IDeliveryStore> CreateStoreAsync() => Task.FromResult<IDeliveryStore>(new SqliteDeliveryStore(_state.Path));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _state.Dispose();
    }
}

/// <summary>
/// The same specs over the cluster's shared PostgreSQL store, plus what sharing it means: a bounce one node records
/// suppresses the address for every node, and an event Brevo retries against another node counts once.
/// </summary>
public sealed class PostgresDeliveryActorSpecs : DeliveryActorSpecsBase
{
    private TestDatabase _database = null!;

    protected override async Task<IDeliveryStore> CreateStoreAsync()
    {
        _database = await TestDatabase.CreateAsync("delivery");
        return new PostgresDeliveryStore(_database.Source);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public void A_bounce_reported_to_one_node_should_suppress_the_address_on_every_node()
    {
        Report(Event("hard_bounce"));
        // Another node: its own store on the same database, as its reader reads it before each token.
        var otherNode = new PostgresDeliveryStore(_database.Source);
        Assert.Equal("hard_bounce", otherNode.Suppressed("Mentor@Example.org")!.Reason);
        Assert.True(otherNode.Unsuppress("mentor@example.org"));
        Assert.Null(Store.Suppressed("mentor@example.org"));
    }

    [Fact]
    public void A_nodes_copy_of_the_shared_list_should_see_another_nodes_bounce_within_five_seconds_and_its_own_at_once()
    {
        var clock = new ManualClock(Start);
        var here = new SuppressionSnapshot(new PostgresDeliveryStore(_database.Source), clock);
        Assert.Null(here.Suppressed("mentor@example.org"));

        // Another node records a bounce: this node's copy is not yet reloaded.
        Report(Event("hard_bounce"));
        Assert.Null(here.Suppressed("mentor@example.org"));
        clock.Now += SuppressionSnapshot.MaxAge;
        Assert.Equal("hard_bounce", here.Suppressed("mentor@example.org")!.Reason);

        // What this node changes itself shows at once.
        here.Unsuppress("mentor@example.org");
        Assert.Null(here.Suppressed("mentor@example.org"));
        here.Suppress(new Suppression("other@example.org", "operator", Start, "operator"));
        Assert.Equal("operator", here.Suppressed("OTHER@example.org")!.Reason);
    }

    [Fact]
    public void An_event_Brevo_retries_against_another_node_should_be_recorded_once()
    {
        Report(Event("delivered"));
        var otherNode = new PostgresDeliveryStore(_database.Source);
        Assert.False(otherNode.FirstTime(Event("delivered")));
        Assert.Single(otherNode.History("mentor@example.org"));
    }

    [Fact]
    public void An_upgrade_to_a_cluster_should_bring_the_single_nodes_suppression_list_along()
    {
        using var state = new TempStateDir();
        var single = new SqliteDeliveryStore(state.Path);
        single.Suppress(new Suppression("gone@example.org", "hard_bounce", Start, "webhook"));
        single.Record(new HistoryEntry(Start, "gone@example.org", "sent", new Dictionary<string, object?>()));

        Assert.Equal(1, ((PostgresDeliveryStore)Store).Import(state.Path));
        Assert.Equal("hard_bounce", Store.Suppressed("gone@example.org")!.Reason);
        Assert.Equal(["sent"], Store.History("gone@example.org").Select(h => h.Kind));
        // Once: the file is renamed.
        Assert.Equal(0, ((PostgresDeliveryStore)Store).Import(state.Path));
    }
}

/// <summary>What every store must do under the Delivery actor.</summary>
public abstract class DeliveryActorSpecsBase : Akka.TestKit.Xunit2.TestKit, IAsyncLifetime
{
    protected static readonly DateTimeOffset Start = DateTimeOffset.UtcNow;
    private IActorRef _delivery = null!;

    protected IDeliveryStore Store { get; private set; } = null!;

    protected abstract Task<IDeliveryStore> CreateStoreAsync();

    public async Task InitializeAsync()
    {
        Store = await CreateStoreAsync();
        _delivery = Sys.ActorOf(DeliveryActor.Props(Store, new DeliverySettings(SoftBounceLimit: 5)));
        Sys.EventStream.Subscribe(TestActor, typeof(MailEvents.DeliveryReported));
    }

    public virtual Task DisposeAsync()
    {
        Shutdown();
        return Task.CompletedTask;
    }

    protected void Report(params DeliveryEvent[] events)
    {
        _delivery.Tell(new DeliveryProtocol.Received(events));
        // Another probe waits for the flush, so the events published meanwhile stay for the spec to read.
        var flushed = CreateTestProbe();
        _delivery.Tell(DeliveryProtocol.Flush.Instance, flushed.Ref);
        flushed.ExpectMsg<DeliveryProtocol.Done>();
    }

    protected static DeliveryEvent Event(string name, string email = "mentor@example.org", int n = 0, string? messageId = "<m@relay>") =>
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
        Assert.Equal(name, Store.Suppressed("mentor@example.org")!.Reason);
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
        Assert.Null(Store.Suppressed("mentor@example.org"));
    }

    [Fact]
    public async Task A_search_of_the_list_should_run_in_the_store_take_its_wildcards_literally_and_page_newest_first()
    {
        foreach (var (email, minutes) in new[] { ("a_b@example.org", 1), ("axb@example.org", 2), ("100%@example.org", 3), ("back\\slash@example.org", 4) })
        {
            await Store.SuppressAsync(new Suppression(email, "operator", Start.AddMinutes(minutes), "operator"), CancellationToken.None);
        }

        for (var i = 0; i < 230; i++)
        {
            await Store.SuppressAsync(new Suppression($"bulk{i:D3}@example.net", "spam", Start.AddHours(1).AddSeconds(i), "webhook"), CancellationToken.None);
        }

        // An underscore, a percent sign and a backslash match themselves, not any character.
        Assert.Equal(["a_b@example.org"], (await Store.SearchSuppressionsAsync("A_B", 0, 100, CancellationToken.None)).Page.Select(s => s.Email));
        Assert.Equal(["100%@example.org"], (await Store.SearchSuppressionsAsync("%", 0, 100, CancellationToken.None)).Page.Select(s => s.Email));
        Assert.Equal(["back\\slash@example.org"], (await Store.SearchSuppressionsAsync("k\\s", 0, 100, CancellationToken.None)).Page.Select(s => s.Email));

        // A hundred a page, newest first; the counts say how many the list holds and how many matched.
        var first = await Store.SearchSuppressionsAsync("example.net", 0, 100, CancellationToken.None);
        var last = await Store.SearchSuppressionsAsync("example.net", 2, 100, CancellationToken.None);
        Assert.Equal((234, 230, 100, 30), (first.Total, first.Matching, first.Page.Count, last.Page.Count));
        Assert.Equal("bulk229@example.net", first.Page[0].Email);
        Assert.Equal("bulk000@example.net", last.Page[^1].Email);
        Assert.Equal(234, (await Store.SearchSuppressionsAsync("", 0, 100, CancellationToken.None)).Matching);

        Assert.True(await Store.UnsuppressAsync("A_B@example.org", CancellationToken.None));
        Assert.Empty((await Store.SearchSuppressionsAsync("a_b", 0, 100, CancellationToken.None)).Page);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.SearchSuppressionsAsync("", 0, 100, new CancellationToken(canceled: true)));
    }

    [Fact]
    public void Five_soft_bounces_in_a_row_should_suppress_and_four_should_not()
    {
        Report(Enumerable.Range(0, 4).Select(i => Event("soft_bounce", n: i, messageId: $"<{i}@relay>")).ToArray());
        Assert.Null(Store.Suppressed("mentor@example.org"));
        Report(Event("soft_bounce", n: 4, messageId: "<4@relay>"));
        Assert.Equal("soft_bounce", Store.Suppressed("mentor@example.org")!.Reason);
    }

    [Fact]
    public void A_delivery_between_soft_bounces_should_start_the_streak_again()
    {
        Report([.. Enumerable.Range(0, 4).Select(i => Event("soft_bounce", n: i, messageId: $"<{i}@relay>")), Event("delivered", n: 5, messageId: "<5@relay>"),
            .. Enumerable.Range(6, 4).Select(i => Event("soft_bounce", n: i, messageId: $"<{i}@relay>"))]);
        Assert.Null(Store.Suppressed("mentor@example.org"));
    }

    [Fact]
    public void Soft_bounces_spread_over_more_than_7_days_should_not_suppress()
    {
        Report(Enumerable.Range(0, 5).Select(i => Event("soft_bounce", n: i * 60 * 24 * 2, messageId: $"<{i}@relay>")).ToArray());
        Assert.Null(Store.Suppressed("mentor@example.org"));
    }

    [Fact]
    public void The_same_event_retried_by_Brevo_should_be_recorded_once()
    {
        Report(Event("soft_bounce"), Event("soft_bounce"), Event("soft_bounce"));
        Assert.Single(Store.History("mentor@example.org"));
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
        Store.Record(new HistoryEntry(Start.AddDays(-31), "old@example.org", "taken", new Dictionary<string, object?> { ["priority"] = 150 }));
        Store.Record(new HistoryEntry(Start.AddDays(-29), "old@example.org", "sent", new Dictionary<string, object?>()));
        Sys.ActorOf(DeliveryActor.Props(Store, new DeliverySettings(HistoryDays: 30))).Tell(DeliveryProtocol.Flush.Instance, TestActor);
        FishForMessage(m => m is DeliveryProtocol.Done);
        Assert.Equal(["sent"], Store.History("old@example.org").Select(h => h.Kind));
    }

}
