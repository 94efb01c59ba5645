using System.Globalization;
using System.Text;

namespace Acaso.Mail.Actors.Bench;

/// <summary>The figures of one run, printed as name=value lines and, for a full run, written to BENCHMARKS.md.</summary>
public sealed class Report(bool quick)
{
    private readonly List<(string Name, double Value, string? Target)> _figures = [];
    private readonly List<(string Name, string Value)> _machine = [];

    public void Machine()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown"
            : "unknown";
        _machine.Add(("date", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)));
        _machine.Add(("cores", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)));
        _machine.Add(("cpu", cpu));
        _machine.Add(("runtime", Environment.Version.ToString()));
        _machine.Add(("mode", quick ? "quick" : "full"));
        foreach (var (name, value) in _machine)
        {
            Console.WriteLine($"{name}={value}");
        }
    }

    public void Figure(string name, double value, string? target = null)
    {
        _figures.Add((name, value, target));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}={Format(value)}"));
    }

    public void Print()
    {
        Console.WriteLine("--- summary ---");
        foreach (var (name, value, target) in _figures.Where(f => f.Target is not null))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}={Format(value)}  (target {target})"));
        }
    }

    public void WriteMarkdown(string path)
    {
        var md = new StringBuilder();
        md.AppendLine("# Benchmarks");
        md.AppendLine();
        md.AppendLine("Written by `bench/run.sh` (full run). Every figure that matters is a ratio between two runs made by the same");
        md.AppendLine("script minutes apart on the same machine; absolute throughputs are for context, since the machine is shared.");
        md.AppendLine();
        md.AppendLine("| machine | |");
        md.AppendLine("|---|---|");
        foreach (var (name, value) in _machine)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {value} |");
        }

        md.AppendLine();
        md.AppendLine("| figure | value | target |");
        md.AppendLine("|---|---|---|");
        foreach (var (name, value, target) in _figures)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| `{name}` | {Format(value)} | {target ?? ""} |");
        }

        md.AppendLine();
        md.AppendLine(Method);
        File.WriteAllText(path, md.ToString());
    }

    private static string Format(double value) =>
        value >= 100 ? value.ToString("0", CultureInfo.InvariantCulture) : value.ToString("0.###", CultureInfo.InvariantCulture);

    private const string Method = """
        ## Method

        - A real RabbitMQ (Debian's 3.10, started by `scripts/ensure-rabbitmq.sh`) and a fake Brevo on loopback (the
          service's own Brevo stand-in: Kestrel answering 201, at once or after a set latency).
        - **Overhead** (`throughput_ratio_vs_raw`): the same number of messages on the contract's queue
          (`x-max-priority 255`) drained by the built service as its own process (`MAIL_BUDGET_MODE=unlimited`,
          `MAIL_SEND_PARALLELISM=32`, rate unbounded), and by a raw loop written in the bench with RabbitMQ.Client (a
          consumer with prefetch 32) and HttpClient (32 concurrent POSTs, ack after each). Throughput counts from the
          first to the last request Brevo receives, so start-up is not counted.
        - **Memory** (`peak_rss_mb`, `rss_after_drains_mb`): the service process's `VmHWM` and `VmRSS` from
          `/proc/<pid>/status` over three repeated drains in the same process.
        - **Latency** (`speedup_vs_old_loop`): the fake answers in 100 ms; the old consumer's algorithm (a `basic.get`,
          then one POST at a time, as the Python script did) against the service in unlimited mode.
        - **Priority exactness** (`inversions`): the real actors in daily mode with windows of 12 over 1,000 random
          priorities on the real broker; between windows more urgent mail is published. An inversion is a mail sent in
          a window while a more urgent one was waiting in the queue at that window's grant. Target 0.
        - **What 255 levels cost** (`ten_level_speedup_vs_255`): the overhead drain again on a queue declared with
          `x-max-priority 10` (`MAIL_QUEUE_MAX_PRIORITY=10`, a documented setting for new deployments).
        - **The durable inbox** (`inbox_throughput_ratio`): the overhead drain with `MAIL_DURABLE_INBOX=true` against
          the same drain without it.
        - **Urgent mail between windows** (`urgent_latency_p50_s`, `urgent_latency_p95_s`): a service in daily mode with no
          window open (`MAIL_URGENT_PRIORITY=200`, enough borrowing for all), 50 mails at priority 220 published one at a
          time, 0.3 to 2.5 s apart (seeded); each latency is from the publish to the stand-in's receipt. With the inbox
          on, the inbox mover's signal starts the take; the `_polling_` figures are the same run with
          `MAIL_DURABLE_INBOX=false`, where the reader looks every `MAIL_URGENT_POLL_SECONDS` (3 s).
        - **Idle broker load** (`idle_broker_gets_per_min`): an idle service (no window open, one mail that is not
          urgent waiting), 12 s after it is ready (its look at start counted), then 5 minutes (1 in `--quick`, and for
          the polling figure); the `basic.get`s on the queue the reader reads, from RabbitMQ's own statistics (the
          management API, which `scripts/ensure-rabbitmq.sh` enables). A mail waits because RabbitMQ 3.10 counts a
          `basic.get` on an empty queue nowhere.
        - **Footprint** (`ready_s`, `idle_rss_mb`, `rss_after_day_mb`): a single node in daily mode with the inbox (the
          defaults but the schedule): from `Process.Start` to the first `/readyz` 200; `VmRSS` 15 s after that; then 300
          mails published, sent in one window of 300 (windows every 5 s, the day's limit 300), and `VmRSS` 15 s after the
          last. The `_server_gc_` figures are the same with `DOTNET_gcServer=1` (what the Web SDK chose before).
        - **The cluster** (`cluster_throughput_ratio`): PostgreSQL from Debian (`scripts/ensure-postgres.sh`), a fresh
          database for each measurement. One service process alone, then three clustered processes
          (`MAIL_CLUSTER_SEEDS` naming all three, `MAIL_DATABASE_URL`, stable-after 5 s), then three processes that are
          not a cluster (each its own rate keeper), each started and ready before the same number of messages is
          published (unlimited mode, parallelism 32, the inbox off). Throughput counts from the first to the last
          request Brevo receives.
        - **Failover** (`failover_pause_s`): three clustered processes in daily mode (5 tokens every 2 s) drain a
          backlog; once 10 mails are sent, the node whose `mail_budget_keeper_here` is 1 gets `kill -9`. The figure is
          the time from the kill to the first request Brevo receives more than a second after it (sends already under
          way on the survivors may end in that second): detection, stable-after, the hand-over, the journal's
          recovery and the next window.
        - Micro-benchmarks of parse and render: `dotnet run -c Release --project bench/Acaso.Mail.Bench -- micro`
          (BenchmarkDotNet).
        """;
}
