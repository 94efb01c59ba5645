using Akka.Actor;
using Akka.Hosting;

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

/// <summary>Registers the budget keeper (and, when asked, the Quartz tick scheduler that drives it).</summary>
public static class BudgetKeeperHostingExtensions
{
    /// <summary>
    /// Starts the keeper from <paramref name="keeper"/> (a <see cref="BudgetKeeperActor"/> or a <see cref="RateKeeperActor"/>)
    /// as <c>budget-keeper</c> and registers it under <see cref="BudgetKeeper"/>; with <paramref name="ticks"/>, Quartz tells it
    /// the hourly and end-of-day ticks of those settings.
    /// </summary>
    public static AkkaConfigurationBuilder AddBudgetKeeperActor(this AkkaConfigurationBuilder builder, Props keeper,
        Settings.BudgetSettings? ticks = null) =>
        builder.WithActors((system, registry) =>
        {
            var actor = system.ActorOf(keeper, "budget-keeper");
            registry.Register<BudgetKeeper>(actor);
            if (ticks is not null)
            {
                registry.Register<TickSchedulerActor>(system.ActorOf(TickSchedulerActor.Props(ticks, actor), "tick-scheduler"));
            }
        });
}
