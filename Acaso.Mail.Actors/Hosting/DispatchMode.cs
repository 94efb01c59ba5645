using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue.Stores;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Settings;
using Akka.Actor;
using Microsoft.Extensions.Logging;

namespace Acaso.Mail.Actors.Hosting;

/// <summary>
/// The service's two ways of dispatching, chosen once at start from <c>MAIL_BUDGET_MODE</c>: daily (the free plan:
/// hourly windows, a daily limit, a take per token, a sent ledger) or unlimited (paid plans: a pace, a consumer with a
/// prefetch, no ledger). Nothing else in the service asks which mode runs.
/// </summary>
/// <param name="Keeper">The keeper's props.</param>
/// <param name="Queue">Makes the reader's queue.</param>
/// <param name="SentLedger">Where accepted keys are kept, if anywhere.</param>
/// <param name="Description">What the service logs of its budget at start.</param>
public sealed record DispatchMode(Props Keeper, Func<IMailQueue> Queue, ISentLedger? SentLedger, string Description)
{
    /// <summary>The mode <paramref name="settings"/> ask for.</summary>
    public static DispatchMode For(MailSettings settings, IBrevoClient brevo, ILoggerFactory logs, StateStores stores)
    {
        var budget = settings.Budget;
        return budget.Unlimited
            // A redelivered mail is taken again within seconds here, well inside Brevo's 30-minute memory of its key:
            // a ledger write per mail would cost throughput for nothing.
            ? new DispatchMode(RateKeeperActor.Props(budget),
                () => new RabbitConsumerQueue(settings.Queue, logs.CreateLogger<RabbitConsumerQueue>(), settings.SendParallelism), null,
                $"unlimited mode: at most {budget.RatePerSecond} mails a second, {settings.SendParallelism} at once")
            // Quartz's ticks run beside the keeper (its child), so in a cluster they fire on the singleton's node only.
            : new DispatchMode(BudgetKeeperActor.Props(budget, brevo, new SqliteBudgetStore(settings.StateDir), ticks: budget),
                () => new RabbitPullQueue(settings.Queue, logs.CreateLogger<RabbitPullQueue>()), stores.SentLedger(),
                $"daily mode: {budget.PerHour} mails an hour ({budget.HourlyCron}), {budget.DailyLimit} a day, zone {budget.Zone.Id}");
    }
}
