using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Delivery;
using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue.Stores;
using Acaso.Mail.Actors.Sending;
using Akka.Actor;
using Akka.Hosting;

namespace Acaso.Mail.Actors.Queue;

/// <summary>Registers the QueueReader.</summary>
public static class QueueReaderActorHostingExtensions
{
    /// <summary>
    /// Starts the reader over the budget keeper and the MailSenders already registered; with <paramref name="deliveryStore"/>,
    /// it reads the suppression list there and tells the Delivery actor (registered before it) each mail's history.
    /// </summary>
    public static AkkaConfigurationBuilder AddQueueReaderActor(this AkkaConfigurationBuilder builder,
        Func<IMailQueue> queueFactory, ReaderSettings settings, IFailedWindowStore? failedWindows = null, ISentLedger? sentLedger = null,
        IDeliveryStore? deliveryStore = null) =>
        builder.WithActors((system, registry) =>
        {
            var delivery = deliveryStore is null ? null : new ReaderDelivery(deliveryStore, registry.Get<DeliveryActor>());
            var props = QueueReaderActor.Props(queueFactory, registry.Get<BudgetKeeper>(), registry.Get<MailSendersActor>(), settings,
                failedWindows, sentLedger, delivery);
            var supervisor = system.ActorOf(QueueReaderSupervisorActor.Props(props), "queue-reader");
            var reader = supervisor.Ask<IActorRef>(QueueReaderSupervisorActor.GetReader.Instance, TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
            registry.Register<QueueReaderActor>(reader);
        });
}
