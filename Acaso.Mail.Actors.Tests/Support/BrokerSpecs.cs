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
