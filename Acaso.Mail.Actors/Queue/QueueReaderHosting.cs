using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Delivery;
using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue.Stores;
using Acaso.Mail.Actors.Queue.Taken;
using Acaso.Mail.Actors.Sending;
using Akka.Actor;
using Akka.Hosting;

namespace Acaso.Mail.Actors.Queue;

/// <summary>Registers the QueueReader.</summary>
public static class QueueReaderActorHostingExtensions
{
    /// <summary>
    /// Starts the reader over the budget keeper and the MailSenders already registered; with <paramref name="deliveryStore"/>,
    /// it reads the suppression list there and tells the Delivery actor (registered before it) each mail's history. Without a
    /// <paramref name="failedWindows"/> store the counts are kept in memory, and without a <paramref name="sentLedger"/>
    /// only Brevo's idempotency key stops a repeat after a crash.
    /// </summary>
    public static AkkaConfigurationBuilder AddQueueReaderActor(this AkkaConfigurationBuilder builder,
        Func<IMailQueue> queueFactory, ReaderSettings settings, IFailedWindowStore? failedWindows = null, ISentLedger? sentLedger = null,
        IDeliveryStore? deliveryStore = null) =>
        builder.WithActors((system, registry) =>
        {
            var delivery = deliveryStore is null ? null : new ReaderDelivery(deliveryStore, registry.Get<DeliveryActor>());
            var senders = registry.Get<MailSendersActor>();
            var windows = failedWindows ?? new InMemoryFailedWindowStore();
            var props = QueueReaderActor.Props(queueFactory, registry.Get<BudgetKeeper>(), settings, (queue, leases) =>
                new TakenMailServices(queue, leases, senders, settings, windows, sentLedger, delivery, new TakenMailMemory()));
            var supervisor = system.ActorOf(QueueReaderSupervisorActor.Props(props), "queue-reader");
            var reader = supervisor.Ask<IActorRef>(QueueReaderSupervisorActor.GetReader.Instance, TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
            registry.Register<QueueReaderActor>(reader);
        });
}
