using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Delivery;
using Acaso.Mail.Actors.Metrics;
using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue.Stores;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Sending;
using Acaso.Mail.Actors.Settings;
using Akka.Actor;
using Akka.Hosting;

namespace Acaso.Mail.Actors.Hosting;

/// <summary>Everything the actors need, built once: by <see cref="DispatchMode"/> in the service, by hand in the simulator, the bench and the specs.</summary>
/// <param name="Keeper">The budget keeper's props: daily (<see cref="BudgetKeeperActor"/>) or unlimited (<see cref="RateKeeperActor"/>).</param>
/// <param name="Brevo">The resilient Brevo pipeline the MailSenders share.</param>
/// <param name="Parallelism">MailSender actors in the pool.</param>
/// <param name="Queue">Makes the reader's queue, once per reader incarnation.</param>
/// <param name="Reader">The reader's settings.</param>
/// <param name="FailedWindows">Where failed-window counts are kept.</param>
/// <param name="SentLedger">Where accepted keys are kept (null: Brevo's 30-minute idempotency window only).</param>
/// <param name="Metrics">The Prometheus series the Metrics actor keeps.</param>
/// <param name="Health">What <c>/readyz</c> reports.</param>
/// <param name="Delivery">The suppression list and history, and how they are kept (null: neither, as in most specs).</param>
/// <param name="SharedKeeper">A keeper that runs elsewhere (another actor system's) to use instead of starting <paramref name="Keeper"/>.</param>
/// <param name="ClusterKeeper">The keeper is the cluster's singleton (the actor system must be clustered): every node registers its proxy.</param>
public sealed record MailActorsOptions(
    Props Keeper,
    BrevoResilience Brevo,
    int Parallelism,
    Func<IMailQueue> Queue,
    ReaderSettings Reader,
    IFailedWindowStore FailedWindows,
    ISentLedger? SentLedger,
    MailMetrics Metrics,
    ServiceHealth Health,
    DeliveryOptions? Delivery = null,
    IActorRef? SharedKeeper = null,
    bool ClusterKeeper = false);

/// <summary>The Delivery role's part of <see cref="MailActorsOptions"/>.</summary>
/// <param name="Store">Where the suppression list and the history live.</param>
/// <param name="Settings">How delivery events are acted on.</param>
/// <param name="Brevo">Brevo, for the blocklist import at start.</param>
public sealed record DeliveryOptions(IDeliveryStore Store, DeliverySettings Settings, IBrevoClient? Brevo = null);

/// <summary>The started actors, as the <c>ActorRegistry</c> holds them.</summary>
public sealed record MailActors(IActorRef Keeper, IActorRef Senders, IActorRef Reader)
{
    /// <summary>The actors of <paramref name="registry"/>, once they serve: the reader has subscribed to the keeper, and the keeper grants tokens.</summary>
    public static async Task<MailActors> StartedAsync(ActorRegistry registry, CancellationToken cancellationToken = default)
    {
        var actors = new MailActors(
            await registry.GetAsync<BudgetKeeper>(cancellationToken).ConfigureAwait(false),
            await registry.GetAsync<MailSendersActor>(cancellationToken).ConfigureAwait(false),
            await registry.GetAsync<QueueReaderActor>(cancellationToken).ConfigureAwait(false));
        // The reader subscribes in its PreStart: once it has answered, its Subscribe is ahead of anything sent to the keeper now.
        await actors.Reader.Ask<QueueProtocol.ReaderStatus>(QueueProtocol.GetStatus.Instance, cancellationToken).ConfigureAwait(false);
        await actors.Keeper.Ask<BudgetProtocol.KeeperStarted>(BudgetProtocol.WhenStarted.Instance, cancellationToken).ConfigureAwait(false);
        return actors;
    }
}

/// <summary>The one wiring path of the actors: the service, the simulator, the bench and the specs all start them here.</summary>
public static class MailActorsHostingExtensions
{
    /// <summary>Starts the Metrics actor, the Delivery actor (when asked), the budget keeper, the MailSender pool and the QueueReader, in that order.</summary>
    public static AkkaConfigurationBuilder AddMailActors(this AkkaConfigurationBuilder builder, MailActorsOptions options)
    {
        builder.AddMetricsActor(options.Metrics, options.Health);
        if (options.Delivery is { } delivery)
        {
            builder.AddDeliveryActor(delivery.Store, delivery.Settings, delivery.Brevo);
        }

        if (options.SharedKeeper is { } shared)
        {
            builder.WithActors((_, registry) => registry.Register<BudgetKeeper>(shared));
        }
        else
        {
            builder.AddBudgetKeeperActor(options.Keeper, options.ClusterKeeper);
        }

        return builder
            .AddMailSendersActor(options.Brevo, options.Parallelism)
            .AddQueueReaderActor(options.Queue, options.Reader, options.FailedWindows, options.SentLedger, options.Delivery?.Store);
    }
}
