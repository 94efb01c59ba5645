using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Tests.Support;
using Akka.Actor;
using Microsoft.Extensions.Logging.Abstractions;
using static Acaso.Mail.Actors.Budget.BudgetProtocol;

namespace Acaso.Mail.Actors.Tests.Queue;

/// <summary>
/// Several readers (three actor systems, as three nodes would run them) sharing one budget keeper, against one real
/// queue: each take first leases its token, so a window's tokens are spent once, on the most urgent mail waiting.
/// </summary>
public sealed class SharedKeeperSpecs() : BrokerSpecs("shared")
{
    private Task<TestPipeline> StartAsync(IActorRef? keeper = null) =>
        Started(TestPipeline.StartAsync(() => new RabbitPullQueue(TestQueue, NullLogger<RabbitPullQueue>.Instance),
            TestPipeline.BrevoAt(Brevo.BaseUrl), TestPipeline.Budget(300, 12), Http, sharedKeeper: keeper));

    private async Task SettleAsync(params TestPipeline[] nodes)
    {
        foreach (var node in nodes)
        {
            await node.SettledAsync();
        }
    }

    [Fact]
    public async Task Three_readers_sharing_one_keeper_should_send_a_windows_tokens_once_on_the_most_urgent_mail()
    {
        var random = new Random(42);
        for (var i = 0; i < 200; i++)
        {
            await PublishAsync(i, (byte)random.Next(1, 201));
        }

        var first = await StartAsync();
        var second = await StartAsync(first.Keeper);
        var third = await StartAsync(first.Keeper);
        first.Keeper.Tell(HourlyTick.Instance);
        AwaitDelivered(12);
        await SettleAsync(first, second, third);
        ExpectNoMsg(TimeSpan.FromMilliseconds(500));

        // Twelve, not thirty-six, and the twelve most urgent, whichever reader took each.
        Assert.Equal(PriorityOf.Values.OrderByDescending(p => p).Take(12),
            Brevo.Delivered.Select(m => PriorityOf[Mails.IndexOf(m)]).OrderByDescending(p => p));
        Assert.Equal(188u, await RabbitBroker.ReadyAsync(TestQueue.Name));
        var sentPerNode = new[] { first, second, third }.Select(n => n.Sample("mails_sent_total")).ToList();
        Assert.Equal(12, sentPerNode.Sum());
        Assert.Equal(12, (await first.Keeper.Ask<BudgetStatus>(GetStatus.Instance)).Spent);

        // More urgent mail published between windows goes first in the next one.
        for (var i = 200; i < 205; i++)
        {
            await PublishAsync(i, 250);
        }

        first.Keeper.Tell(HourlyTick.Instance);
        AwaitDelivered(24);
        await SettleAsync(first, second, third);
        ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        var window = Brevo.Delivered.Skip(12).Select(Mails.IndexOf).ToList();
        Assert.Equal(12, window.Count);
        Assert.Superset(new HashSet<int> { 200, 201, 202, 203, 204 }, window.ToHashSet());
        Assert.Equal(PriorityOf.Where(kv => kv.Key < 200).Select(kv => kv.Value).OrderByDescending(p => p).Skip(12).Take(7),
            window.Where(i => i < 200).Select(i => PriorityOf[i]).OrderByDescending(p => p));
        Assert.Equal(24, (await first.Keeper.Ask<BudgetStatus>(GetStatus.Instance)).Spent);
    }
}
