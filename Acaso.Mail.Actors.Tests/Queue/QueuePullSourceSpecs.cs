using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Settings;
using Acaso.Mail.Actors.Tests.Support;
using Akka.Streams;
using Akka.Streams.Dsl;
using Microsoft.Extensions.Logging.Abstractions;

namespace Acaso.Mail.Actors.Tests.Queue;

/// <summary>The source stage against a real RabbitMQ: one take per demand, never ahead of it.</summary>
public sealed class QueuePullSourceSpecs : Akka.TestKit.Xunit2.TestKit, IAsyncLifetime
{
    private readonly QueueSettings _queue = RabbitBroker.NewQueue("source");
    private RabbitMailQueue _mailQueue = null!;

    public async Task InitializeAsync()
    {
        await (await RabbitBroker.ConnectAsync()).DisposeAsync();
        _mailQueue = new RabbitPullQueue(_queue, NullLogger<RabbitPullQueue>.Instance);
        // Connect (and declare) up front, so the specs time takes, not the first connection.
        await _mailQueue.ProbeAsync();
    }

    public async Task DisposeAsync()
    {
        await _mailQueue.DisposeAsync();
        await RabbitBroker.DeleteAsync(_queue);
    }

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private IQueueDemand Materialize(IMailQueue queue) =>
        Source.FromGraph(new QueuePullSource(queue))
            .To(Sink.ActorRef<QueuePull>(TestActor, "done", e => e))
            .Run(Sys.Materializer());

    [Fact]
    public async Task QueuePullSource_should_take_one_message_per_demand_and_none_ahead()
    {
        await using (var publisher = await RabbitBroker.PublisherAsync(_queue))
        {
            foreach (var priority in new byte[] { 3, 9, 1, 7, 5 })
            {
                await publisher.PublishAsync(Mails.Utf8($"{{\"p\":{priority}}}"), priority);
            }
        }

        var demand = Materialize(_mailQueue);
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Equal(5u, await RabbitBroker.ReadyAsync(_queue.Name));

        demand.Request(1);
        Assert.Equal(9, ExpectMsg<QueuePull.Taken>(Patience).Message.Priority);

        // Downstream keeps pulling, but no further take was requested: the stage must not take another message.
        ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        Assert.Equal(4u, await RabbitBroker.ReadyAsync(_queue.Name));

        demand.Request(2);
        Assert.Equal(7, ExpectMsg<QueuePull.Taken>(Patience).Message.Priority);
        Assert.Equal(5, ExpectMsg<QueuePull.Taken>(Patience).Message.Priority);
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Equal(2u, await RabbitBroker.ReadyAsync(_queue.Name));
    }

    [Fact]
    public async Task QueuePullSource_should_take_mail_published_after_the_previous_take_in_priority_order()
    {
        await using var publisher = await RabbitBroker.PublisherAsync(_queue);
        await publisher.PublishAsync(Mails.Utf8("{}"), 100);
        await publisher.PublishAsync(Mails.Utf8("{}"), 50);
        var demand = Materialize(_mailQueue);
        demand.Request(1);
        Assert.Equal(100, ExpectMsg<QueuePull.Taken>(Patience).Message.Priority);

        // Published while the first is held: more urgent than what was waiting, so it is next.
        await publisher.PublishAsync(Mails.Utf8("{}"), 200);
        demand.Request(1);
        Assert.Equal(200, ExpectMsg<QueuePull.Taken>(Patience).Message.Priority);
    }

    [Fact]
    public void QueuePullSource_should_emit_empty_for_an_empty_queue()
    {
        Materialize(_mailQueue).Request(1);
        Assert.Null(ExpectMsg<QueuePull.NothingTaken>(Patience).Failure);
    }

    [Fact]
    public async Task QueuePullSource_should_emit_failures_and_stay_alive_when_the_broker_is_unreachable()
    {
        var nowhere = _queue with { Url = new Uri("amqp://guest:guest@127.0.0.1:1/%2f") };
        await using var unreachable = new RabbitPullQueue(nowhere, NullLogger<RabbitPullQueue>.Instance);
        var demand = Materialize(unreachable);
        demand.Request(1);
        Assert.NotNull(ExpectMsg<QueuePull.NothingTaken>(TimeSpan.FromSeconds(15)).Failure);
        demand.Request(1);
        Assert.NotNull(ExpectMsg<QueuePull.NothingTaken>(TimeSpan.FromSeconds(15)).Failure);
    }
}
