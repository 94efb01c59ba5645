using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Cluster;
using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Hosting;
using Acaso.Mail.Actors.Metrics;
using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue.Stores;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Sending;
using Acaso.Mail.Actors.Settings;
using Acaso.Mail.Actors.Storage;
using Akka.Actor;
using Akka.Hosting;

namespace Acaso.Mail.Actors.Tests.Support;

/// <summary>
/// The real actors started as the service starts them (<see cref="MailActorsHost"/> over the same
/// <c>AddMailActors</c>), without Quartz: tests send the ticks. Virtual-time specs give <c>clockAt</c>: the actors
/// then run on Akka's TestScheduler, moved to that instant before any of them starts.
/// </summary>
public sealed class TestPipeline : IAsyncDisposable
{
    private readonly MailActorsHost _host;

    private TestPipeline(MailActorsHost host, MailMetrics metrics)
    {
        _host = host;
        Metrics = metrics;
    }

    /// <summary>The actor system the actors run in (its scheduler is the spec's clock when <c>clockAt</c> was given).</summary>
    public ActorSystem System => _host.System;

    public IActorRef Keeper => _host.Actors.Keeper;

    public IActorRef Senders => _host.Actors.Senders;

    public IActorRef Reader => _host.Actors.Reader;

    public MailMetrics Metrics { get; }

    public static BudgetSettings Budget(int dailyLimit = 300, int perHour = 12, int borrowWindows = 1) =>
        SettingsLoader.Defaults.Budget with { DailyLimit = dailyLimit, PerHour = perHour, UrgentBorrowWindows = borrowWindows };

    public static BrevoSettings BrevoAt(Uri url, string key = "xkeysib-test", int retries = 3, TimeSpan? attemptTimeout = null) =>
        // A generous attempt timeout: a loaded machine must not turn into a Brevo timeout; the timeout specs pass their own.
        new(url, new Secret(key), false, attemptTimeout ?? TimeSpan.FromSeconds(20), retries, TimeSpan.FromMilliseconds(20),
            TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2));

    /// <summary>Starts metrics, keeper, senders and reader; returns once they serve.</summary>
    public static async Task<TestPipeline> StartAsync(Func<IMailQueue> queue, BrevoSettings brevo, BudgetSettings budget,
        HttpClient http, TimeSpan? pollInterval = null, ParserOptions? contract = null, int maxFailedWindows = 24, IBudgetStore? store = null,
        UrgentSettings? urgent = null, IFailedWindowStore? failedWindows = null, ISentLedger? sentLedger = null, DateTimeOffset? clockAt = null,
        IActorRef? sharedKeeper = null, ClusterSettings? cluster = null, MailDatabase? database = null)
    {
        var client = new BrevoClient(http, brevo);
        var metrics = new MailMetrics(Prometheus.Metrics.NewCustomRegistry());
        var keeper = budget.Unlimited ? RateKeeperActor.Props(budget) : BudgetKeeperActor.Props(budget, client, store);
        var options = new MailActorsOptions(keeper, new BrevoResilience(client, brevo), Parallelism: 4, queue,
            new ReaderSettings(contract ?? ParserOptions.Default, new RenderOptions(Mails.Recife), pollInterval ?? TimeSpan.FromMilliseconds(200),
                // Unlimited mode leases in batches, as the service does (ReaderSettings.From: the send parallelism).
                maxFailedWindows, urgent, LeaseBatch: budget.Unlimited ? 8 : 1),
            failedWindows ?? new InMemoryFailedWindowStore(), sentLedger, metrics, new ServiceHealth(), SharedKeeper: sharedKeeper,
            ClusterKeeper: cluster is { Enabled: true });
        var host = await MailActorsHost.StartAsync(options,
            hocon: clockAt is null ? null : """akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit" """,
            before: akka =>
            {
                if (database is not null)
                {
                    akka.AddHocon(database.PersistenceConfig(), HoconAddMode.Prepend);
                }

                if (cluster is not null)
                {
                    akka.AddMailCluster(cluster);
                }

                if (clockAt is { } at)
                {
                    akka.WithActors((system, _) => VirtualDay.MoveTo(system, at));
                }
            });
        return new TestPipeline(host, metrics);
    }

    /// <summary>The value of a counter series (0 when it has no sample yet).</summary>
    public double Sample(string name, params string[] labels)
    {
        using var stream = new MemoryStream();
        Metrics.Registry.CollectAndExportAsTextAsync(stream).GetAwaiter().GetResult();
        var text = global::System.Text.Encoding.UTF8.GetString(stream.ToArray());
        var prefix = labels.Length == 0 ? name + " " : name + "{" + string.Join(",", labels) + "} ";
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[prefix.Length..], global::System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Waits until the reader is quiet: no take under way, every mail taken settled.</summary>
    public Task SettledAsync() => Reader.Ask<QueueProtocol.Settled>(QueueProtocol.WhenSettled.Instance, TimeSpan.FromSeconds(30));

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
