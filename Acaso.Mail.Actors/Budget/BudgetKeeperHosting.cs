using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Pattern;

namespace Acaso.Mail.Actors.Budget;

/// <summary>
/// The <c>ActorRegistry</c> key of the budget's authority, whichever mode runs it: <see cref="BudgetKeeperActor"/>
/// (daily) or <see cref="RateKeeperActor"/> (unlimited). Both speak <see cref="BudgetProtocol"/>.
/// </summary>
public sealed class BudgetKeeper
{
    private BudgetKeeper()
    {
    }
}

/// <summary>Registers the budget keeper: an actor of this process, or the cluster's singleton reached through its proxy.</summary>
public static class BudgetKeeperHostingExtensions
{
    /// <summary>The keeper's actor name (and its singleton's).</summary>
    public const string Name = "budget-keeper";

    /// <summary>
    /// Starts the keeper from <paramref name="keeper"/> (a <see cref="BudgetKeeperActor"/> or a <see cref="RateKeeperActor"/>)
    /// as <c>budget-keeper</c> and registers it under <see cref="BudgetKeeper"/>. With <paramref name="singleton"/>, the
    /// keeper is the cluster's singleton (on its oldest node; handed over when that node leaves or is downed) and what
    /// is registered is this node's proxy to it, which buffers messages while the singleton moves.
    /// </summary>
    public static AkkaConfigurationBuilder AddBudgetKeeperActor(this AkkaConfigurationBuilder builder, Props keeper, bool singleton = false)
    {
        // A persistent keeper stops when its journal fails a write or a recovery (a database restart, an outage): it
        // is started again, from its journal, after a backoff of at most 4 s, so it grants again within seconds of the
        // database's return. Meanwhile readers hear that it is paused. A cluster singleton that stopped would not come back.
        var supervised = BackoffSupervisor.Props(Backoff.OnStop(keeper, Name, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4), 0.2, maxNrOfRetries: -1)
            .WithReplyWhileStopped(BudgetProtocol.KeeperPaused.Instance));
        return singleton
            ? builder.WithSingleton<BudgetKeeper>(Name, supervised, new ClusterSingletonOptions { BufferSize = 10_000 }, createProxyToo: true)
            : builder.WithActors((system, registry) => registry.Register<BudgetKeeper>(system.ActorOf(supervised, Name)));
    }
}
