using System.Globalization;
using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Settings;
using Acaso.Mail.Actors.Storage;
using Acaso.Mail.Actors.Tests.Support;
using Microsoft.Data.Sqlite;
using static Acaso.Mail.Actors.Tests.Support.ProcessAssertions;

namespace Acaso.Mail.Actors.Tests.Hosting;

/// <summary>
/// The built service as a process, configured only by environment variables, against the real broker and the
/// Brevo stand-in: what an operator runs.
/// </summary>
[Trait("Loop", "Full")]
public sealed class ServiceProcessSpecs() : ProcessSpecs("xkeysib-PROCESS-SECRET-9b2e", "process")
{
    private readonly Dictionary<int, byte> _priorityOf = [];

    [Fact]
    public async Task The_service_should_send_per_hour_mails_each_window_most_urgent_first_and_count_them_at_the_metrics_root()
    {
        var random = new Random(11);
        for (var i = 0; i < 9; i++)
        {
            _priorityOf[i] = (byte)random.Next(1, 201);
            await Publisher.PublishAsync(Mails.Body(i, DateTimeOffset.UtcNow.AddDays(2)), _priorityOf[i]);
        }

        await using var service = ServiceProcess.Start(Environment(perHour: 3, hourlyCron: "0/5 * * * * ?"));
        await Eventually(async () => await ReadyStatusAsync() == 200, TimeSpan.FromSeconds(30), "the service to be ready", service);

        // The first window (at most 5 s away) sends exactly the 3 most urgent.
        await Eventually(() => Task.FromResult(Brevo.Delivered.Count >= 3), TimeSpan.FromSeconds(60), "the first window");
        var ranked = _priorityOf.OrderByDescending(kv => kv.Value).Select(kv => kv.Key).ToList();
        Assert.Equal(ranked.Take(3).Order(), Brevo.Delivered.Take(3).Select(Mails.IndexOf).Order());

        // Three windows drain the queue; then the count at / equals what Brevo received.
        await Eventually(() => Task.FromResult(Brevo.Delivered.Count == 9), TimeSpan.FromSeconds(60), "three windows");
        Assert.Equal(ranked.Skip(3).Take(3).Order(), Brevo.Delivered.Skip(3).Take(3).Select(Mails.IndexOf).Order());
        await Eventually(async () => Sample(await ScrapeAsync("/"), "mails_sent_total") == 9, TimeSpan.FromSeconds(10), "mails_sent_total at /");
        var metrics = await ScrapeAsync("/metrics");
        Assert.Equal(9, Sample(metrics, "mails_sent_total"));
        Assert.Equal(0, Sample(metrics, "mails_fails_total"));
        Assert.Equal((200, "Healthy"), await GetAsync("/livez"));
        Assert.Equal((200, "Healthy"), await GetAsync("/healthz"));
        // Which build runs: the gauge and the first line say the version and the commit.
        var build = $"mail_build_info{{version=\"{Acaso.Mail.Actors.Hosting.BuildInfo.Version}\",commit=\"{Acaso.Mail.Actors.Hosting.BuildInfo.Commit}\"}}";
        Assert.Equal(1, Sample(metrics, build));
        Assert.Contains($"{Acaso.Mail.Actors.Hosting.BuildInfo.Describe}. Role: a single node", service.Output.Split('\n')[0], StringComparison.Ordinal);

        service.Terminate();
        Assert.True(await service.WaitForExitAsync(TimeSpan.FromSeconds(30)), "SIGTERM did not stop the service\n" + service.Output);
        Assert.Equal(0, service.ExitCode);
        Assert.DoesNotContain(ApiKey, service.Output, StringComparison.Ordinal);
        Assert.Equal(0u, await RabbitBroker.ReadyAsync(Queue.Name));
    }

    [Fact]
    public async Task With_its_broker_unreachable_the_service_should_be_alive_at_livez_and_not_ready_at_readyz()
    {
        // An orchestrator restarts a process whose liveness fails, and a restart mends no outage of a dependency.
        var environment = Environment(perHour: 5);
        environment["QUEUE_SERVICE_URL"] = "amqp://guest:guest@127.0.0.1:1/%2f";
        await using var service = ServiceProcess.Start(environment);
        await Eventually(async () => (await GetAsync("/readyz")).Body.Contains("broker disconnected", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60), "/readyz to say the broker is away", service);
        Assert.Equal(503, (await GetAsync("/readyz")).Code);
        Assert.Equal((200, "Healthy"), await GetAsync("/livez"));
        Assert.Equal((200, "Healthy"), await GetAsync("/healthz"));

        service.Terminate();
        Assert.True(await service.WaitForExitAsync(TimeSpan.FromSeconds(30)), "SIGTERM did not stop the service\n" + service.Output);
        Assert.Equal(0, service.ExitCode);
    }

    [Fact]
    public async Task A_service_started_on_a_journal_written_by_2f98441_should_show_its_count_as_soon_as_it_is_ready()
    {
        // The oldest build this one upgrades from journaled its whole state through Newtonsoft. Its fixture's rows are
        // moved to today (in UTC, the zone set below), so they hold today's count: 60 spent, a token in flight.
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var journal = Path.Combine(StateDir, MailDatabase.SqliteFile);
        File.Copy(Repository.PathOf(Path.Combine("Acaso.Mail.Actors.Tests", "Fixtures", "journal", "2f98441.sqlite.db")), journal);
        await using (var db = new SqliteConnection($"Data Source={journal};Pooling=False"))
        {
            await db.OpenAsync();
            await using var move = db.CreateCommand();
            move.CommandText = "UPDATE journal SET message = CAST(REPLACE(CAST(message AS TEXT), '2026-11-30', $today) AS BLOB); " +
                "UPDATE snapshot SET snapshot = CAST(REPLACE(CAST(snapshot AS TEXT), '2026-11-30', $today) AS BLOB);";
            move.Parameters.AddWithValue("$today", today);
            Assert.True(await move.ExecuteNonQueryAsync() > 0);
        }

        var environment = Environment(perHour: 6);
        environment["MAIL_TIMEZONE"] = "UTC";
        environment["MAIL_HOURLY_CRON"] = "0 0 0 1 1 ? 2099";
        environment["MAIL_END_OF_DAY_CRON"] = "0 0 0 1 1 ? 2099";
        await using var service = ServiceProcess.Start(environment);
        await Eventually(async () => await ReadyStatusAsync() == 200, TimeSpan.FromSeconds(30), "ready", service);
        // Left today is 300 - 60 - the token in flight; the dead node's token goes back a grace after the start (240).
        await Eventually(async () => await MetricAsync("mail_tokens_spent_today") == 60 && await MetricAsync("mail_tokens_left_today") is 239 or 240,
            TimeSpan.FromSeconds(1), "the gauges to show the 2f98441 journal's count within 1 s of /readyz 200", service);
        Assert.Empty(Brevo.Delivered);
    }

    [Fact]
    public async Task A_restarted_service_should_show_the_days_count_from_its_journal_as_soon_as_it_is_ready()
    {
        for (var i = 0; i < 6; i++)
        {
            await Publisher.PublishAsync(Mails.Body(i, DateTimeOffset.UtcNow.AddDays(2)), 150);
        }

        await using (var first = ServiceProcess.Start(Environment(perHour: 6)))
        {
            await Eventually(async () => await MetricAsync("mail_tokens_spent_today") == 6, TimeSpan.FromSeconds(60), "six mails sent and counted", first);
            first.Terminate();
            Assert.True(await first.WaitForExitAsync(TimeSpan.FromSeconds(30)), "SIGTERM did not stop the service\n" + first.Output);
        }

        // Restarted with no window due: only the journal can say what the day has spent.
        var environment = Environment(perHour: 6);
        environment["MAIL_HOURLY_CRON"] = "0 0 0 1 1 ? 2099";
        environment["MAIL_END_OF_DAY_CRON"] = "0 0 0 1 1 ? 2099";
        await using var second = ServiceProcess.Start(environment);
        await Eventually(async () => await ReadyStatusAsync() == 200, TimeSpan.FromSeconds(30), "ready again", second);
        await Eventually(async () => await MetricAsync("mail_tokens_spent_today") == 6 && await MetricAsync("mail_tokens_left_today") == 294,
            TimeSpan.FromSeconds(1), "the gauges to show the journal's count within 1 s of /readyz 200", second);
        Assert.Equal(6, Brevo.Delivered.Count);
    }

    [Fact]
    public async Task A_bad_setting_should_stop_the_start_naming_the_variable()
    {
        var environment = Environment(perHour: 3, hourlyCron: "0/5 * * * * ?");
        environment["MAIL_DAILY_LIMIT"] = "plenty";
        await using var service = ServiceProcess.Start(environment);
        Assert.True(await service.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.NotEqual(0, service.ExitCode);
        Assert.Contains("MAIL_DAILY_LIMIT='plenty' is not valid: it accepts a whole number", service.Output, StringComparison.Ordinal);
    }
}

/// <summary>Settings the host itself meets: they end the start with one line naming the variable, exit 78.</summary>
[Trait("Loop", "Full")]
public sealed class HostSettingsProcessSpecs() : ProcessSpecs("xkeysib-host-settings", "host")
{
    [Fact]
    public async Task A_metrics_port_already_in_use_should_end_the_start_with_one_line_naming_it_exit_78()
    {
        using var squatter = new System.Net.Sockets.TcpListener(System.Net.IPAddress.IPv6Any, MetricsPort);
        squatter.Server.DualMode = true;
        squatter.Start();
        await using var service = ServiceProcess.Start(Environment(perHour: 3));
        Assert.True(await service.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the service did not stop\n" + service.Output);
        Assert.Equal(78, service.ExitCode);
        Assert.Contains($"MAIL_METRICS_PORT={MetricsPort}: the port is already in use", service.Output, StringComparison.Ordinal);
        // A stack trace anywhere fails with the whole output, to say whose it was.
        Assert.False(service.Output.Contains("Unhandled exception", StringComparison.Ordinal) || service.Output.Contains("   at ", StringComparison.Ordinal),
            "a stack trace in the output:\n" + service.Output);
    }

    [Fact]
    public async Task A_node_of_a_TLS_cluster_without_its_certificate_should_not_start()
    {
        var environment = Environment(perHour: 3);
        environment["MAIL_CLUSTER_TLS_REQUIRED"] = "true";
        await using var service = ServiceProcess.Start(environment);
        Assert.True(await service.WaitForExitAsync(TimeSpan.FromSeconds(30)), "the service did not stop\n" + service.Output);
        Assert.Equal(78, service.ExitCode);
        Assert.Contains("MAIL_CLUSTER_TLS_REQUIRED is on but MAIL_CLUSTER_TLS_CERT", service.Output, StringComparison.Ordinal);
    }
}

/// <summary>The urgent lane in the built service, against the real broker, with no hourly window due.</summary>
[Trait("Loop", "Full")]
public sealed class UrgentLaneProcessSpecs() : ProcessSpecs("xkeysib-urgent-lane", "urgent")
{
    [Fact]
    public async Task Urgent_mail_should_go_within_seconds_on_borrowed_tokens_and_the_rest_wait_for_windows()
    {
        var environment = Environment(perHour: 12);
        // No window opens during the test: every send is the urgent lane's.
        environment["MAIL_HOURLY_CRON"] = "0 0 0 1 1 ? 2099";
        environment["MAIL_END_OF_DAY_CRON"] = "0 0 0 1 1 ? 2099";
        await using var service = ServiceProcess.Start(environment);
        await Eventually(async () => await ReadyStatusAsync() == 200, TimeSpan.FromSeconds(30), "ready", service);

        var soon = DateTimeOffset.UtcNow.AddHours(5);
        await Publisher.PublishAsync(Mails.Body(0, soon), 199);
        await Eventually(() => Task.FromResult(Brevo.Delivered.Count == 1), TimeSpan.FromSeconds(15), "the first urgent mail", service);

        await Publisher.PublishAsync(Mails.Body(100, DateTimeOffset.UtcNow.AddDays(9)), 190);
        for (var i = 1; i <= 20; i++)
        {
            await Publisher.PublishAsync(Mails.Body(i, soon), 200);
        }

        await Eventually(() => Task.FromResult(Brevo.Delivered.Count == 12), TimeSpan.FromSeconds(60), "eleven more", service);
        // The lane has lent its window: every mail taken has ended, and the rest waits in the inbox.
        await Eventually(async () => await RabbitBroker.EveryMessageAckedAsync(Queue.Name) && await RabbitBroker.ReadyAsync(Queue.Inbox) == 10,
            TimeSpan.FromSeconds(30), "10 mails waiting, none taken", service);
        Assert.Equal(12, Brevo.Delivered.Count);
        Assert.DoesNotContain(100, Brevo.Delivered.Select(Mails.IndexOf));
        Assert.Equal(10u, await RabbitBroker.ReadyAsync(Queue.Inbox));

        var metrics = await ScrapeAsync("/metrics");
        Assert.Equal(12, Sample(metrics, "mail_urgent_sent_total{borrowed=\"true\"}"));
        Assert.Equal(12, Sample(metrics, "mail_tokens_borrowed"));
        Assert.Equal(200, Sample(metrics, "mail_queue_head_priority"));
    }
}
