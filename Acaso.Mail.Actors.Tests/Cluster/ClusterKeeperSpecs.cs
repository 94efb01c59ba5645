using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue.Stores;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Settings;
using Acaso.Mail.Actors.Tests.Support;
using Akka.Actor;
using Microsoft.Extensions.Logging.Abstractions;
using static Acaso.Mail.Actors.Budget.BudgetProtocol;

namespace Acaso.Mail.Actors.Tests.Cluster;

/// <summary>
/// Three nodes in one test process (three actor systems joined by Akka.Cluster on loopback ports), each with its own
/// reader and MailSenders on one real queue, sharing one PostgreSQL database: the budget keeper is the cluster's
/// singleton, reached through each node's proxy, and its journal lets another node take it over.
/// </summary>
public sealed class ClusterKeeperSpecs() : BrokerSpecs("cluster")
{
    private const int PerWindow = 5;

    private TestDatabase _database = null!;
    private int _seedPort;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _database = await TestDatabase.CreateAsync("cluster");
        _seedPort = ServiceProcess.FreePort();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _database.DisposeAsync();
    }

    /// <summary>A node; the first one started is the seed (and the oldest, so the keeper's first home).</summary>
    private Task<TestPipeline> NodeAsync(bool seed = false) =>
        Started(TestPipeline.StartAsync(() => new RabbitPullQueue(TestQueue, NullLogger<RabbitPullQueue>.Instance),
            TestPipeline.BrevoAt(Brevo.BaseUrl), TestPipeline.Budget(300, PerWindow), Http,
            sentLedger: new PostgresSentLedger(_database.Source), failedWindows: new PostgresFailedWindowStore(_database.Source),
            cluster: new ClusterSettings([$"127.0.0.1:{_seedPort}"], "127.0.0.1", seed ? _seedPort : ServiceProcess.FreePort(), TimeSpan.FromSeconds(5)),
            database: _database.Shared));

    private static async Task SettleAsync(params TestPipeline[] nodes)
    {
        foreach (var node in nodes)
        {
            await node.SettledAsync();
        }
    }

    private async Task<(TestPipeline First, TestPipeline Second, TestPipeline Third)> ClusterAsync()
    {
        var first = await NodeAsync(seed: true);
        var second = await NodeAsync();
        var third = await NodeAsync();
        return (first, second, third);
    }

    [Fact]
    public async Task Three_nodes_should_send_one_windows_tokens_once_on_the_most_urgent_mail()
    {
        var random = new Random(7);
        for (var i = 0; i < 60; i++)
        {
            await PublishAsync(i, (byte)random.Next(1, 201));
        }

        var (first, second, third) = await ClusterAsync();
        // The tick reaches the singleton through whichever node's proxy: here the youngest node's.
        third.Keeper.Tell(HourlyTick.Instance);
        AwaitDelivered(PerWindow);
        await SettleAsync(first, second, third);
        ExpectNoMsg(TimeSpan.FromMilliseconds(500));

        // Five, not fifteen, and the five most urgent, whichever node took each.
        Assert.Equal(PriorityOf.Values.OrderByDescending(p => p).Take(PerWindow),
            Brevo.Delivered.Select(m => PriorityOf[Mails.IndexOf(m)]).OrderByDescending(p => p));
        Assert.Equal((uint)(60 - PerWindow), await RabbitBroker.ReadyAsync(TestQueue.Name));
        Assert.Equal(PerWindow, new[] { first, second, third }.Sum(n => n.Sample("mails_sent_total")));
        // Every node's proxy reaches the same keeper.
        foreach (var node in new[] { first, second, third })
        {
            var status = await node.Keeper.Ask<BudgetStatus>(GetStatus.Instance, TimeSpan.FromSeconds(10));
            Assert.Equal((PerWindow, 0, 1L), (status.Spent, status.InFlight, status.Window));
        }
    }

    [Fact]
    public async Task A_hand_over_with_tokens_in_flight_should_neither_lose_mail_nor_send_twice_nor_overspend()
    {
        // The oldest node (the keeper's) leaves the cluster: the singleton moves to the next oldest at once.
        await HandOverAsync(first => first.DisposeAsync().AsTask());
    }

    [Fact]
    public async Task A_crash_of_the_keepers_node_should_neither_lose_mail_nor_send_twice_nor_overspend()
    {
        // The keeper's node stops without leaving: the others see it unreachable, keep-majority downs it after
        // stable-after (5 s here), and only then does the singleton move.
        await HandOverAsync(async first =>
        {
            ((ExtendedActorSystem)first.System).Abort();
            await first.DisposeAsync();
        });
    }

    /// <summary>
    /// Slow sends under way on three nodes when <paramref name="loseKeeperNode"/> takes the keeper's node away; then
    /// windows until every mail is sent. Each mail reaches Brevo once, none is lost, and the day counts at least
    /// what Brevo charged.
    /// </summary>
    private async Task HandOverAsync(Func<TestPipeline, Task> loseKeeperNode)
    {
        const int mails = 30;
        for (var i = 0; i < mails; i++)
        {
            await PublishAsync(i, (byte)(100 + i));
        }

        var (first, second, third) = await ClusterAsync();
        Brevo.Latency = TimeSpan.FromSeconds(2);
        second.Keeper.Tell(HourlyTick.Instance);
        await AwaitConditionAsync(async () => (await first.Keeper.Ask<BudgetStatus>(GetStatus.Instance, TimeSpan.FromSeconds(5))).InFlight > 0,
            TimeSpan.FromSeconds(20));
        var before = await first.Keeper.Ask<BudgetStatus>(GetStatus.Instance, TimeSpan.FromSeconds(5));

        await loseKeeperNode(first);
        // The next keeper recovers the day and the window from the journal: nothing lent is forgotten.
        var after = await second.Keeper.Ask<BudgetStatus>(GetStatus.Instance, TimeSpan.FromSeconds(60));
        Assert.Equal(before.Window, after.Window);
        Assert.True(after.Spent + after.InFlight >= before.Spent + before.InFlight,
            $"the day's count went back: {before} before the hand-over, {after} after");

        Brevo.Latency = TimeSpan.Zero;
        for (var window = 0; window < 12 && Brevo.Delivered.Count < mails; window++)
        {
            var opened = (await third.Keeper.Ask<BudgetStatus>(GetStatus.Instance, TimeSpan.FromSeconds(5))).Window;
            third.Keeper.Tell(HourlyTick.Instance);
            // Wait until the window has opened and its tokens are leased (or nothing waits to take them): the takes are
            // under way. This spec judges the hand-over by what Brevo saw, not each window's liveness: right after the
            // crash a window's tokens have once stayed unleased for 20 s while mail waited, so a window that does not
            // get there in time is left to the next one rather than failing the spec here.
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (DateTime.UtcNow < deadline)
            {
                var now = await third.Keeper.Ask<BudgetStatus>(GetStatus.Instance, TimeSpan.FromSeconds(5));
                if (now.Window > opened && (now.WindowLeft == 0 || await RabbitBroker.ReadyAsync(TestQueue.Name) == 0))
                {
                    break;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(20));
            }

            await SettleAsync(second, third);
        }

        var status = await third.Keeper.Ask<BudgetStatus>(GetStatus.Instance, TimeSpan.FromSeconds(10));
        var keys = Brevo.Delivered.Select(m => m.IdempotencyKey).ToList();
        // Nothing accepted twice,
        Assert.Equal(keys.Count, keys.Distinct().Count());
        // nothing lost: every mail reached Brevo,
        Assert.Equal(mails, Brevo.Delivered.Count);
        Assert.Equal(0u, await RabbitBroker.ReadyAsync(TestQueue.Name));
        // and the day counted at least everything Brevo charged (it can never overspend), and at most a window more.
        // A crashed node's tokens stay in flight (counted against the day) until a window closes 30 s after the take-over
        // writes them off as spent (BudgetKeeperSpecs): a mail it sent and recorded before dying is not sent again, so
        // here its token may still be in flight, not spent.
        Assert.InRange(status.Spent + status.InFlight, mails, mails + PerWindow);
    }
}
