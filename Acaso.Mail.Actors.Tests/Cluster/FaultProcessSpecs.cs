using Acaso.Mail.Actors.Tests.Support;
using static Acaso.Mail.Actors.Tests.Support.ProcessAssertions;

namespace Acaso.Mail.Actors.Tests.Cluster;

/// <summary>
/// The faults a deployment meets every month, each on three service processes, a PostgreSQL server of the spec's own
/// (stopped and restarted for real), a real queue and the Brevo stand-in answering in 1 s; windows of five every
/// 3 s and a day of <see cref="Limit"/>, with more mail waiting than that. Each is judged by what Brevo saw: every
/// mail accepted once, no request refused as a duplicate of its key (a <c>kill -9</c> mid-send excepted), the day's
/// count equal to what Brevo accepted and at its limit, sending again within 20 s of the fault's end, and
/// <c>/readyz</c> saying so while a dependency is away.
/// </summary>
[Trait("Loop", "Full")]
[Collection(ThreeProcessCollection.Name)]
public sealed class FaultProcessSpecs() : PrivateDatabaseNodeSpecs("xkeysib-faults", "fault-process")
{
    private const int Limit = 40;
    private const int Published = 60;
    private const string Cron = "0/3 * * * * ?";
    private static readonly TimeSpan Resume = TimeSpan.FromSeconds(20);

    private async Task StartSendingAsync()
    {
        await PublishAsync(Published, i => (byte)(100 + i));
        Brevo.Latency = TimeSpan.FromSeconds(1);
        await StartClusterAsync(Cron, dailyLimit: Limit);
        await Eventually(() => Task.FromResult(Brevo.Delivered.Count >= PerWindow), TimeSpan.FromSeconds(60), "the first sends");
    }

    /// <summary>Waits for a send that started after <paramref name="end"/> and returns how long after it that was.</summary>
    private async Task<TimeSpan> ResumedAfterAsync(DateTimeOffset end)
    {
        // A send's time is when the stand-in received it; one already under way at the end may still arrive a little after.
        try
        {
            await Eventually(() => Task.FromResult(Brevo.Delivered.Any(m => m.At > end)), Resume + TimeSpan.FromSeconds(10), "a send after the fault");
        }
        catch (TimeoutException e)
        {
            // Say what each node was doing: its last lines.
            throw new TimeoutException(e.Message + "\n" + string.Join("\n---\n", Running.Select(n =>
                string.Join('\n', n.Process!.Output.Split('\n').TakeLast(25)))), e);
        }

        return Brevo.Delivered.Where(m => m.At > end).Min(m => m.At) - end;
    }

    /// <summary>The day reaches its limit, each mail accepted once, the rest waiting in the inbox, nothing dead-lettered.</summary>
    private async Task AssertTheDaySpentExactlyAsync(int duplicatesAllowed = 0)
    {
        var keeper = await KeeperNodeAsync();
        try
        {
            await Eventually(() => Task.FromResult(Brevo.Delivered.Count >= Limit), TimeSpan.FromSeconds(120), "the day's limit to be sent");
        }
        catch (TimeoutException e)
        {
            // Say what the day looked like: Brevo's count, each node's budget gauges, and the keeper's node's log.
            var gauges = await Task.WhenAll(Running.Select(async n =>
                $"node {n.MetricsPort}: spent {await MetricAsync(n, "mail_tokens_spent_today")}, left {await MetricAsync(n, "mail_tokens_left_today")}, " +
                $"window left {await MetricAsync(n, "mail_window_tokens_left")}"));
            throw new TimeoutException($"{e.Message}: Brevo accepted {Brevo.Delivered.Count}, refused {Brevo.DuplicatesRefused} duplicates; " +
                $"{string.Join("; ", gauges)}\n{keeper.Process!.Output}", e);
        }

        // Tokens of a node that died count once its leases are settled for it (a few seconds after it is downed).
        await Eventually(async () => await MetricAsync(keeper, "mail_tokens_spent_today") == Limit, TimeSpan.FromSeconds(60),
            "the day's count to reach its limit");
        await Eventually(async () => await RabbitBroker.ReadyAsync(Queue.Inbox) == Published - Limit, TimeSpan.FromSeconds(30),
            "the rest to wait in the inbox");
        // Every mail taken has ended: the broker holds the rest, none of it unacknowledged, so nothing more can be sent.
        await Eventually(async () => await RabbitBroker.MessagesAsync(Queue.Inbox) == Published - Limit
                && await RabbitBroker.EveryMessageAckedAsync(Queue.Name),
            TimeSpan.FromSeconds(30), "no mail unacknowledged");

        var keys = Brevo.Delivered.Select(m => m.IdempotencyKey).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        Assert.Equal(Limit, Brevo.Delivered.Count);
        Assert.Equal(Limit, await MetricAsync(keeper, "mail_tokens_spent_today"));
        Assert.InRange(Brevo.DuplicatesRefused, 0, duplicatesAllowed);
        Assert.Empty(await RabbitBroker.DrainAsync(Queue.DeadLetterQueue));
        // The most urgent mail went first: what was sent outranks what waits.
        Assert.Equal(Enumerable.Range(Published - Limit, Limit), Brevo.Delivered.Select(Mails.IndexOf).Order());
    }

    [Fact]
    public async Task A_database_stopped_for_30_s_should_hold_the_mail_say_so_and_resume_with_nothing_lost_or_sent_twice()
    {
        await StartSendingAsync();
        await Postgres.StopAsync();
        var stopped = DateTimeOffset.UtcNow;
        await Eventually(async () => (await Task.WhenAll(Running.Select(n => GetAsync(n, "/readyz"))))
                .All(r => r.Contains("database unreachable", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(10), "/readyz on every node to say the database is unreachable");
        Assert.All(await Task.WhenAll(Running.Select(n => MetricAsync(n, "mail_database_up"))), up => Assert.Equal(0, up));

        await Task.Delay(stopped.AddSeconds(30) - DateTimeOffset.UtcNow);
        await Postgres.StartServerAsync();
        var started = DateTimeOffset.UtcNow;
        await Eventually(async () => (await Task.WhenAll(Running.Select(ReadyAsync))).All(r => r), TimeSpan.FromSeconds(10),
            "/readyz on every node to be ready again");
        Assert.InRange(await ResumedAfterAsync(started), TimeSpan.Zero, Resume);
        Assert.All(Nodes, n => Assert.False(n.Process!.HasExited, n.Process.Output));
        await AssertTheDaySpentExactlyAsync();
    }

    [Fact]
    public async Task A_database_restarted_mid_window_should_waste_no_credit_and_send_nothing_twice()
    {
        await StartSendingAsync();
        // Mid-window: sends are under way, their ledger rows and settles about to be written.
        await Eventually(() => Task.FromResult(Brevo.Delivered.Count % PerWindow > 0), TimeSpan.FromSeconds(30), "a window under way");
        await Postgres.RestartAsync();
        var restarted = DateTimeOffset.UtcNow;
        Assert.InRange(await ResumedAfterAsync(restarted), TimeSpan.Zero, Resume);
        await AssertTheDaySpentExactlyAsync();
    }

    [Fact]
    public async Task A_kill_9_of_a_node_that_is_not_the_keepers_mid_send_should_write_off_its_leases_and_spend_the_whole_day()
    {
        await StartSendingAsync();
        var keeper = await KeeperNodeAsync();
        var victim = Nodes.First(n => n != keeper);
        // Just after a window opens (every 3 s): each node leases tokens and its sends take a second at Brevo.
        await Task.Delay(TimeSpan.FromMilliseconds(3000 - (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() % 3000) + 400));
        victim.Process!.KillHard();
        var killed = DateTimeOffset.UtcNow;
        Assert.True(await victim.Process.WaitForExitAsync(TimeSpan.FromSeconds(10)));

        Assert.InRange(await ResumedAfterAsync(killed.AddSeconds(1)), TimeSpan.Zero, Resume);
        // A mail the dead node sent but could not record is sent again by a survivor and refused by the key: at most
        // the tokens it held, and that send's token goes back (the dead node's lease counted the charge).
        await AssertTheDaySpentExactlyAsync(duplicatesAllowed: PerWindow);
    }

    [Fact]
    public async Task A_node_cut_off_from_the_others_for_40_s_should_be_downed_and_lose_or_double_nothing()
    {
        await StartSendingAsync();
        var keeper = await KeeperNodeAsync();
        var cut = Nodes.First(n => n != keeper);
        using (BrokerNode.Partition(cut.RemotePort))
        {
            // Keep-majority: the two others down it after stable-after (5 s), and it downs itself and exits.
            Assert.True(await cut.Process!.WaitForExitAsync(TimeSpan.FromSeconds(40)), "the cut-off node should stop within 40 s");
        }

        // It left as a downed node does: through coordinated shutdown (compose's unless-stopped starts it again).
        var healed = DateTimeOffset.UtcNow;
        if (Brevo.Delivered.Count < Limit)
        {
            Assert.InRange(await ResumedAfterAsync(healed), TimeSpan.Zero, Resume);
        }

        await AssertTheDaySpentExactlyAsync(duplicatesAllowed: PerWindow);
    }
}
