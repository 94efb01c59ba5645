using System.Globalization;
using System.Text;
using Acaso.Mail.Actors.Tests.Support;
using static Acaso.Mail.Actors.Tests.Support.ProcessAssertions;

namespace Acaso.Mail.Actors.Tests.Reliability;

/// <summary>
/// A schedule of faults drawn from a seed, against three service processes, a PostgreSQL server of its own, the shared
/// broker and the Brevo stand-in answering in 1 s, with more mail waiting than the day may send. After the schedule it
/// checks the invariants: every mail Brevo accepted accepted once (sends refused by the key counted apart: none expected
/// outside a <c>kill -9</c> mid-send), nothing lost (accepted + dead-lettered + waiting = published), the day at its
/// limit and never over it, its count equal to what Brevo accepted, <c>/readyz</c> 503 during each outage of a
/// dependency, and sending again within 20 s of each fault's end (40 s after the keeper's node dies: the take-over;
/// after Brevo's 500s, its circuit's 30 s and a window besides).
/// <para>
/// Quick (the default, in <c>scripts/test.sh</c>): seed 17, a PostgreSQL restart, a <c>kill -9</c> of a node that is not
/// the keeper's and PostgreSQL down 30 s, in about three minutes. Full (<c>reliability/run.sh</c>, by hand:
/// <c>MAIL_CAMPAIGN_MODE=full</c>): every fault of the list, twice, in an order the seed draws, one every 90 s, over
/// a whole day of 300 (windows of two every 6 s); it restarts the shared broker, so it runs alone. With
/// <c>MAIL_CAMPAIGN_REPORT</c> set it writes the report there (<c>RELIABILITY.md</c>).
/// </para>
/// </summary>
[Trait("Loop", "Full")]
[Collection(ThreeProcessCollection.Name)]
public sealed class ReliabilityCampaign() : PrivateDatabaseNodeSpecs("xkeysib-campaign", "campaign")
{
    private static readonly TimeSpan Resume = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan TakeOver = TimeSpan.FromSeconds(40);
    private readonly Campaign _campaign = Campaign.FromEnvironment();
    private readonly List<FaultRecord> _records = [];

    protected override int PerWindow => _campaign.PerWindow;

    /// <summary>The campaign's settings: which faults, in what order, at what pace.</summary>
    private sealed record Campaign(string Mode, int Seed, IReadOnlyList<string> Faults, string Cron, TimeSpan WindowEvery, int PerWindow, int Limit,
        int Published, TimeSpan Period)
    {
        private static readonly string[] Every =
            ["postgres-restart", "postgres-down-30s", "kill-keeper", "kill-other", "broker-restart", "partition-40s", "brevo-500-20s"];

        public static Campaign FromEnvironment()
        {
            var mode = System.Environment.GetEnvironmentVariable("MAIL_CAMPAIGN_MODE") ?? "quick";
            if (mode == "quick")
            {
                return new Campaign(mode, 17, ["postgres-restart", "kill-other", "postgres-down-30s"], "0/3 * * * * ?", TimeSpan.FromSeconds(3), 5, 200, 240,
                    TimeSpan.FromSeconds(40));
            }

            var seed = int.TryParse(System.Environment.GetEnvironmentVariable("MAIL_CAMPAIGN_SEED"), CultureInfo.InvariantCulture, out var s)
                ? s
                : System.Environment.TickCount & 0xFFFF;
            var random = new Random(seed);
            var faults = Every.Concat(Every).OrderBy(_ => random.Next()).ToList();
            return new Campaign(mode, seed, faults, "0/6 * * * * ?", TimeSpan.FromSeconds(6), 2, 300, 340, TimeSpan.FromSeconds(90));
        }
    }

    /// <summary>One fault as it went: when, whether <c>/readyz</c> said so (null: not a dependency's outage), how soon mail went again.</summary>
    private sealed record FaultRecord(string Fault, DateTimeOffset Start, DateTimeOffset End, bool? ReadyzSaid503, TimeSpan? Resumed, TimeSpan ResumeLimit)
    {
        public bool ResumedInTime => Resumed is null || Resumed <= ResumeLimit;
    }

    [Fact]
    public async Task A_schedule_of_faults_should_lose_nothing_send_nothing_twice_and_spend_the_day_exactly()
    {
        await PublishAsync(_campaign.Published, i => (byte)(1 + (i * 37 % 198)));
        Brevo.Latency = TimeSpan.FromSeconds(1);
        await StartClusterAsync(_campaign.Cron, _campaign.Limit);
        await Eventually(() => Task.FromResult(Brevo.Delivered.Count >= PerWindow), TimeSpan.FromSeconds(60), "the first sends");
        var began = DateTimeOffset.UtcNow;

        for (var i = 0; i < _campaign.Faults.Count; i++)
        {
            var due = began + (i * _campaign.Period);
            if (due > DateTimeOffset.UtcNow)
            {
                await Task.Delay(due - DateTimeOffset.UtcNow);
            }

            _records.Add(await RunAsync(_campaign.Faults[i]));
        }

        var (spent, dead, waiting) = await TheDayAsync();
        var kills = _records.Count(r => r.Fault.StartsWith("kill", StringComparison.Ordinal) || r.Fault.StartsWith("partition", StringComparison.Ordinal));
        var distinct = Brevo.Delivered.Select(m => m.IdempotencyKey).Distinct().Count();
        if (System.Environment.GetEnvironmentVariable("MAIL_CAMPAIGN_REPORT") is { Length: > 0 } report)
        {
            await File.WriteAllTextAsync(report, Report(began, spent, dead, waiting, distinct));
        }

        Assert.Equal(Brevo.Delivered.Count, distinct);
        Assert.InRange(Brevo.DuplicatesRefused, 0, kills * PerWindow);
        Assert.Equal(_campaign.Published, Brevo.Delivered.Count + dead + waiting);
        Assert.Equal(_campaign.Limit, Brevo.Delivered.Count);
        Assert.Equal(_campaign.Limit, spent);
        Assert.Equal(0, dead);
        Assert.All(_records, r => Assert.True(r.ReadyzSaid503 != false, $"/readyz did not say 503 during {r.Fault}"));
        Assert.All(_records, r => Assert.True(r.ResumedInTime, $"sending resumed {r.Resumed?.TotalSeconds:0.0} s after {r.Fault}"));
    }

    private async Task<FaultRecord> RunAsync(string fault)
    {
        var start = DateTimeOffset.UtcNow;
        bool? said = null;
        var limit = Resume;
        switch (fault)
        {
            case "postgres-restart":
                await Postgres.RestartAsync();
                break;
            case "postgres-down-30s":
                await Postgres.StopAsync();
                said = await ReadyzSaysAsync("database unreachable", TimeSpan.FromSeconds(10));
                await Task.Delay(start.AddSeconds(30) - DateTimeOffset.UtcNow);
                await Postgres.StartServerAsync();
                break;
            case "kill-keeper":
            case "kill-other":
            {
                var keeper = await KeeperNodeAsync();
                var victim = fault == "kill-keeper" ? keeper : Running.First(n => n != keeper);
                limit = fault == "kill-keeper" ? TakeOver : Resume;
                // Just after a window opens, when the node holds leases and its sends are at Brevo.
                var every = (long)_campaign.WindowEvery.TotalMilliseconds;
                await Task.Delay(TimeSpan.FromMilliseconds(every - (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() % every) + 400));
                victim.Process!.KillHard();
                await victim.Process.WaitForExitAsync(TimeSpan.FromSeconds(10));
                start = DateTimeOffset.UtcNow;
                await RestartAsync(victim);
                break;
            }

            case "partition-40s":
            {
                var keeper = await KeeperNodeAsync();
                var cut = Running.First(n => n != keeper);
                using (BrokerNode.Partition(cut.RemotePort))
                {
                    await cut.Process!.WaitForExitAsync(TimeSpan.FromSeconds(40));
                }

                await RestartAsync(cut);
                break;
            }

            case "broker-restart":
            {
                var stopping = Task.Run(BrokerNode.Restart);
                said = await ReadyzSaysAsync("broker disconnected", TimeSpan.FromSeconds(15));
                await stopping;
                break;
            }

            case "brevo-500-20s":
                Brevo.FailingUntil = start.AddSeconds(20);
                await Task.Delay(TimeSpan.FromSeconds(20));
                // Brevo's circuit stays open for breaker-break (30 s) after the last failure, and a window in which
                // Brevo failed waits for the next one: Brevo is tried again within those.
                limit = TimeSpan.FromSeconds(30) + _campaign.WindowEvery + Resume;
                break;
        }

        var end = fault.StartsWith("kill", StringComparison.Ordinal) ? start : DateTimeOffset.UtcNow;
        return new FaultRecord(fault, start, end, said, await ResumedAfterAsync(end, limit), limit);
    }

    private async Task RestartAsync(Node node)
    {
        await node.Process!.DisposeAsync();
        await StartAsync(node, _campaign.Cron, _campaign.Limit);
    }

    /// <summary>Whether every running node's <c>/readyz</c> says <paramref name="reason"/> within <paramref name="within"/>.</summary>
    private async Task<bool> ReadyzSaysAsync(string reason, TimeSpan within)
    {
        try
        {
            await Eventually(async () => (await Task.WhenAll(Running.Select(n => GetAsync(n, "/readyz"))))
                .All(r => r.Contains(reason, StringComparison.Ordinal)), within, "/readyz to say " + reason);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>How long after <paramref name="end"/> a send started (null when the day had nothing left to send).</summary>
    private async Task<TimeSpan?> ResumedAfterAsync(DateTimeOffset end, TimeSpan limit)
    {
        try
        {
            await Eventually(() => Task.FromResult(Brevo.Delivered.Count >= _campaign.Limit || Brevo.Delivered.Any(m => m.At > end)),
                limit + TimeSpan.FromSeconds(30), "a send after the fault");
        }
        catch (TimeoutException)
        {
            return TimeSpan.MaxValue;
        }

        var after = Brevo.Delivered.Where(m => m.At > end).Select(m => m.At - end).ToList();
        return after.Count > 0 ? after.Min() : null;
    }

    /// <summary>Waits for the day to reach its limit, then reads the keeper's count, the dead letters and what waits.</summary>
    private async Task<(int Spent, int Dead, int Waiting)> TheDayAsync()
    {
        try
        {
            await Eventually(() => Task.FromResult(Brevo.Delivered.Count >= _campaign.Limit), TimeSpan.FromMinutes(10), "the day's limit to be sent");
        }
        catch (TimeoutException)
        {
            // The invariants below say what is missing.
        }

        var keeper = await KeeperNodeAsync();
        try
        {
            await Eventually(async () => await MetricAsync(keeper, "mail_tokens_spent_today") >= Brevo.Delivered.Count, TimeSpan.FromSeconds(60),
                "the keeper to count what Brevo accepted");
        }
        catch (TimeoutException)
        {
            // Idem.
        }

        await Task.Delay(TimeSpan.FromSeconds(5));
        var spent = (int)await MetricAsync(keeper, "mail_tokens_spent_today");
        // The nodes stop (SIGTERM: they drain), so a mail a reader is looking at between windows is counted as waiting.
        foreach (var node in Running.ToList())
        {
            node.Process!.Terminate();
            await node.Process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        }

        var dead = (await RabbitBroker.DrainAsync(Queue.DeadLetterQueue)).Count;
        var waiting = (int)await RabbitBroker.ReadyAsync(Queue.Inbox) + (int)await RabbitBroker.ReadyAsync(Queue.Name);
        return (spent, dead, waiting);
    }

    private string Report(DateTimeOffset began, int spent, int dead, int waiting, int distinct)
    {
        static string Seconds(TimeSpan? t) => t is null ? "nothing left to send" : t == TimeSpan.MaxValue ? "**did not resume**"
            : t.Value.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";
        var text = new StringBuilder();
        text.AppendLine("# Reliability campaign")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Written by `reliability/run.sh` ({_campaign.Mode} mode, seed {_campaign.Seed}) on {began:yyyy-MM-dd HH:mm} UTC: three service processes in a cluster (stable-after 5 s), their own PostgreSQL, RabbitMQ {(_campaign.Mode == "full" ? "(restarted by the schedule)" : "")}, the Brevo stand-in answering in 1 s; windows of {PerWindow} on `{_campaign.Cron}`, a day of {_campaign.Limit}, {_campaign.Published} mails published before the first fault; a fault every {_campaign.Period.TotalSeconds:0} s.")
            .AppendLine()
            .AppendLine("| # | fault | at (s) | lasted (s) | `/readyz` 503 during it | sending again after its end | limit |")
            .AppendLine("|---|---|---|---|---|---|---|");
        for (var i = 0; i < _records.Count; i++)
        {
            var r = _records[i];
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {i + 1} | {r.Fault} | {(r.Start - began).TotalSeconds:0} | {(r.End - r.Start).TotalSeconds:0.0} | {(r.ReadyzSaid503 is null ? "n/a" : r.ReadyzSaid503.Value ? "yes" : "**no**")} | {Seconds(r.Resumed)} | {r.ResumeLimit.TotalSeconds:0} s |");
        }

        text.AppendLine()
            .AppendLine("| invariant | measured | expected |")
            .AppendLine("|---|---|---|")
            .AppendLine(CultureInfo.InvariantCulture, $"| mails Brevo accepted | {Brevo.Delivered.Count} ({distinct} distinct) | the day's limit, {_campaign.Limit}, each once |")
            .AppendLine(CultureInfo.InvariantCulture, $"| sends refused as a duplicate of their key | {Brevo.DuplicatesRefused} | 0 outside a `kill -9` (or a cut) mid-send |")
            .AppendLine(CultureInfo.InvariantCulture, $"| accepted + dead-lettered + waiting | {Brevo.Delivered.Count} + {dead} + {waiting} = {Brevo.Delivered.Count + dead + waiting} | published, {_campaign.Published} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| the keeper's count of the day | {spent} | what Brevo accepted, {Brevo.Delivered.Count} |");
        return text.ToString();
    }
}
