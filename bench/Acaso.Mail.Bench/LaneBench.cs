using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Acaso.Mail.Actors.Bench;

/// <summary>
/// The urgent lane's latency and what an idle service costs the broker (the inbox mover's signal against the reader's
/// poll, both in this run), and the process's footprint (its GC settings against Server GC, both in this run). Each
/// figure comes from a service process of its own in daily mode on a fresh queue.
/// </summary>
public sealed class LaneBench(Harness harness)
{
    private static readonly HttpClient Management = ManagementClient();

    private static HttpClient ManagementClient()
    {
        var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("guest:guest"u8.ToArray()));
        return http;
    }

    private Dictionary<string, string> Daily(Acaso.Mail.Actors.Settings.QueueSettings queue, bool inbox, Dictionary<string, string>? extra = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["QUEUE_SERVICE_URL"] = Harness.Broker.ToString(), ["MAIL_QUEUE_NAME"] = queue.Name,
            ["SENDINBLUE_URL"] = harness.Brevo.BaseUrl.ToString(), ["SENDINBLUE_API_KEY"] = Harness.Key,
            ["MAIL_DURABLE_INBOX"] = inbox ? "true" : "false",
            // No window opens: every send is the urgent lane's.
            ["MAIL_HOURLY_CRON"] = "0 0 0 1 1 ? 2099", ["MAIL_END_OF_DAY_CRON"] = "0 0 0 1 1 ? 2099",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (name, value) in extra ?? [])
        {
            environment[name] = value;
        }

        return environment;
    }

    /// <summary>
    /// Seconds from the publish of an urgent mail (priority 220) to the stand-in's receipt, for <paramref name="count"/>
    /// mails published one at a time at random moments (0.3 to 2.5 s apart) while no window is open: p50 and p95.
    /// </summary>
    public async Task<(double P50, double P95)> UrgentLatencyAsync(int count, bool inbox)
    {
        var queue = Harness.NewQueue(inbox ? "urgent-signal" : "urgent-poll", 255);
        await using var node = ClusterBench.Node.Start(Daily(queue, inbox, new()
        {
            ["MAIL_URGENT_PRIORITY"] = "200", ["MAIL_URGENT_BORROW_WINDOWS"] = (count / 12 + 2).ToString(CultureInfo.InvariantCulture),
        }));
        try
        {
            await ClusterBench.WaitAsync(node.ReadyAsync, TimeSpan.FromSeconds(60), "the service to be ready");
            await Task.Delay(TimeSpan.FromSeconds(3));
            var random = new Random(11);
            var before = harness.Brevo.Delivered.Count;
            var published = new Dictionary<int, DateTimeOffset>();
            await using var publisher = await Acaso.Mail.Actors.Queue.Broker.MailPublisher.ConnectAsync(queue);
            for (var i = 0; i < count; i++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(300, 2500)));
                published[i] = DateTimeOffset.UtcNow;
                await publisher.PublishAsync(Harness.Body(i), 220);
            }

            await ClusterBench.WaitAsync(() => Task.FromResult(harness.Brevo.Delivered.Count >= before + count), TimeSpan.FromSeconds(60), "every urgent mail");
            var latencies = harness.Brevo.Delivered.Skip(before).Select(m => (m.At - published[Harness.IndexOf(m)]).TotalSeconds).Order().ToList();
            return (Percentile(latencies, 0.5), Percentile(latencies, 0.95));
        }
        finally
        {
            await Harness.DeleteAsync(queue);
        }
    }

    private static double Percentile(List<double> sorted, double p) => sorted[(int)Math.Ceiling(p * sorted.Count) - 1];

    /// <summary>
    /// <c>basic.get</c>s a minute on the queue the reader reads, from the broker's own statistics (its management API),
    /// over <paramref name="minutes"/> minutes of an idle service: no window open, one mail that is not urgent waiting
    /// for the next (RabbitMQ 3.10 counts a <c>basic.get</c> that finds a queue empty nowhere, so an empty queue would
    /// hide the looks).
    /// </summary>
    public async Task<double> IdleGetsPerMinuteAsync(double minutes, bool inbox)
    {
        var queue = Harness.NewQueue(inbox ? "idle-signal" : "idle-poll", 255);
        await Harness.PublishAsync(queue, 1, priority: _ => 100);
        await using var node = ClusterBench.Node.Start(Daily(queue, inbox, new() { ["MAIL_URGENT_PRIORITY"] = "200" }));
        try
        {
            await ClusterBench.WaitAsync(node.ReadyAsync, TimeSpan.FromSeconds(60), "the service to be ready");
            // The look at start is made and counted (the broker refreshes its statistics every 5 s).
            await Task.Delay(TimeSpan.FromSeconds(12));
            var read = inbox ? queue.Inbox : queue.Name;
            var from = await GetsAsync(read);
            await Task.Delay(TimeSpan.FromMinutes(minutes));
            return (await GetsAsync(read) - from) / minutes;
        }
        finally
        {
            await Harness.DeleteAsync(queue);
        }
    }

    private static async Task<long> GetsAsync(string queue)
    {
        var json = await Management.GetStringAsync(new Uri($"http://localhost:15672/api/queues/%2F/{Uri.EscapeDataString(queue)}"));
        using var document = JsonDocument.Parse(json);
        long Stat(string name) =>
            document.RootElement.TryGetProperty("message_stats", out var stats) && stats.TryGetProperty(name, out var value) ? value.GetInt64() : 0;
        return Stat("get") + Stat("get_no_ack");
    }

    /// <summary>
    /// A single node in daily mode with the inbox (the defaults but the schedule): seconds from its start to the first
    /// <c>/readyz</c> 200, resident memory idle 15 s after that, and again 15 s after a day of 300 mails (windows of up to 300
    /// every 5 s, the day's limit 300: the first after the publish sends them all). <paramref name="serverGc"/>: with <c>DOTNET_gcServer=1</c>, as the Web SDK's default had it.
    /// </summary>
    public async Task<(double ReadySeconds, double IdleMb, double AfterDayMb)> FootprintAsync(bool serverGc)
    {
        var queue = Harness.NewQueue("footprint", 255);
        // Windows every 5 s of up to 300 (the day's limit): the first after the publish sends the whole day.
        var extra = new Dictionary<string, string>
        {
            ["SENDINBLUE_MAILS_PER_HOUR"] = "300", ["MAIL_DAILY_LIMIT"] = "300", ["MAIL_HOURLY_CRON"] = "0/5 * * * * ?",
        };
        if (serverGc)
        {
            extra["DOTNET_gcServer"] = "1";
        }

        var clock = Stopwatch.StartNew();
        await using var node = ClusterBench.Node.Start(Daily(queue, inbox: true, extra));
        try
        {
            await ClusterBench.WaitAsync(node.ReadyAsync, TimeSpan.FromSeconds(60), "the service to be ready");
            var ready = clock.Elapsed.TotalSeconds;
            await Task.Delay(TimeSpan.FromSeconds(15));
            var idle = ResidentMb(node.Process.Id);
            var before = harness.Brevo.Delivered.Count;
            await Harness.PublishAsync(queue, 300);
            await ClusterBench.WaitAsync(() => Task.FromResult(harness.Brevo.Delivered.Count >= before + 300), TimeSpan.FromMinutes(5), "the day's 300 mails");
            await Task.Delay(TimeSpan.FromSeconds(15));
            return (ready, idle, ResidentMb(node.Process.Id));
        }
        finally
        {
            await Harness.DeleteAsync(queue);
        }
    }

    private static double ResidentMb(int pid) => File.ReadLines($"/proc/{pid}/status")
        .Where(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
        .Select(l => double.Parse(l.Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024)
        .First();
}
