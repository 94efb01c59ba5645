using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Settings;
using Akka.Actor;
using Akka.Configuration;

namespace Acaso.Mail.Actors.Tests.Support;

/// <summary>
/// A <see cref="StandInSpecs"/> with a fresh queue of its own on the real broker (declared as the contract says,
/// deleted after the spec with its dead-letter queue) and a publisher on it.
/// </summary>
public abstract class BrokerSpecs(string queuePrefix, Config? config = null, int credits = 300)
    : StandInSpecs(config ?? Config.Empty, credits)
{
    protected QueueSettings TestQueue { get; } = RabbitBroker.NewQueue(queuePrefix);

    protected MailPublisher Publisher { get; private set; } = null!;

    /// <summary>The priority each mail was published at, by index.</summary>
    protected Dictionary<int, byte> PriorityOf { get; } = [];

    /// <summary>When the spec began: mentorings are set from it.</summary>
    protected DateTimeOffset SpecStart { get; } = DateTimeOffset.UtcNow;

    /// <summary>Publishes mail <paramref name="index"/> (a mentoring three days ahead) at <paramref name="priority"/>, and remembers the priority.</summary>
    protected async Task PublishAsync(int index, byte priority)
    {
        PriorityOf[index] = priority;
        await Publisher.PublishAsync(Mails.Body(index, SpecStart.AddDays(3)), priority);
    }

    /// <summary>Waits until Brevo has accepted <paramref name="count"/> mails.</summary>
    protected void AwaitDelivered(int count) =>
        AwaitCondition(() => Brevo.Delivered.Count >= count, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(20));

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Publisher = await RabbitBroker.PublisherAsync(TestQueue);
    }

    public override async Task DisposeAsync()
    {
        await Publisher.DisposeAsync();
        await base.DisposeAsync();
        await RabbitBroker.DeleteAsync(TestQueue);
    }

    /// <summary>Waits until the reader holds no mail taken and not yet settled.</summary>
    protected void AwaitSettled(TestPipeline pipeline) =>
        AwaitCondition(() => pipeline.Reader.Ask<QueueProtocol.ReaderStatus>(QueueProtocol.GetStatus.Instance).Result.InFlight == 0,
            TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(20));
}
