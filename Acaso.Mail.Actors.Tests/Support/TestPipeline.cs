using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Hosting;
using Acaso.Mail.Actors.Metrics;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Sending;
using Acaso.Mail.Actors.Settings;
using Akka.Actor;

namespace Acaso.Mail.Actors.Tests.Support;

/// <summary>The real actors wired as the host wires them, without Quartz: tests send the ticks.</summary>
public sealed record TestPipeline(IActorRef Keeper, IActorRef Senders, IActorRef Reader, MailMetrics Metrics, BrevoResilience Brevo)
{
    public static BudgetSettings Budget(int dailyLimit = 300, int perHour = 12, int borrowWindows = 1) =>
        new(dailyLimit, perHour, Mails.Recife, "0 0 * * * ?", "0 5 23 * * ?", borrowWindows);

    public static BrevoSettings BrevoAt(Uri url, string key = "xkeysib-test", int retries = 3, TimeSpan? attemptTimeout = null) =>
        // A generous attempt timeout: a loaded machine must not turn into a Brevo timeout; the timeout specs pass their own.
        new(url, new Secret(key), false, attemptTimeout ?? TimeSpan.FromSeconds(20), retries, TimeSpan.FromMilliseconds(20),
            TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2));

    /// <summary>Starts keeper, senders, reader and metrics in <paramref name="system"/>.</summary>
    public static TestPipeline Start(ActorSystem system, Func<IMailQueue> queue, BrevoSettings brevo, BudgetSettings budget,
        HttpClient http, TimeSpan? pollInterval = null, ParserOptions? contract = null, int maxFailedWindows = 24, IBudgetStore? store = null,
        UrgentSettings? urgent = null, IFailedWindowStore? failedWindows = null,
        ISentLedger? sentLedger = null)
    {
        var client = new BrevoClient(http, brevo);
        var resilience = new BrevoResilience(client, brevo);
        resilience.Retrying += reason => system.EventStream.Publish(new MailEvents.SendRetried(reason));
        var metrics = new MailMetrics(Prometheus.Metrics.NewCustomRegistry());
        system.ActorOf(MetricsActor.Props(metrics, new ServiceHealth()));
        var pipeline = MailPipeline.StartAsync(system, queue, client, resilience, budget,
            new ReaderSettings(contract ?? ParserOptions.Default, new RenderOptions(Mails.Recife), pollInterval ?? TimeSpan.FromMilliseconds(200),
                maxFailedWindows, urgent), parallelism: 4, store, failedWindows, sentLedger).GetAwaiter().GetResult();
        return new TestPipeline(pipeline.Keeper, pipeline.Senders, pipeline.Reader, metrics, resilience);
    }

    /// <summary>The value of a counter series (0 when it has no sample yet).</summary>
    public double Sample(string name, params string[] labels)
    {
        using var stream = new MemoryStream();
        Metrics.Registry.CollectAndExportAsTextAsync(stream).GetAwaiter().GetResult();
        var text = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        var prefix = labels.Length == 0 ? name + " " : name + "{" + string.Join(",", labels) + "} ";
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[prefix.Length..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
