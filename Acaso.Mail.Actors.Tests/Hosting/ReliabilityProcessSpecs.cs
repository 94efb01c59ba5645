using System.Diagnostics;
using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Settings;
using Acaso.Mail.Actors.Tests.Support;
using static Acaso.Mail.Actors.Tests.Support.ProcessAssertions;

namespace Acaso.Mail.Actors.Tests.Hosting;

/// <summary>The built service as a process through crashes, restarts and a failing Brevo: nothing lost, nothing sent twice, nothing overspent.</summary>
[Trait("Loop", "Full")]
public sealed class ReliabilityProcessSpecs() : ProcessSpecs("xkeysib-RELIABILITY-SECRET-51c7", "reliability")
{
    protected override int BrevoCredits => 1000;

    private async Task PublishAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            await Publisher.PublishAsync(Mails.Body(i, DateTimeOffset.UtcNow.AddDays(2)), (byte)(100 + i));
        }
    }

    [Fact]
    public async Task A_kill_9_mid_window_then_a_restart_should_mail_every_message_exactly_once()
    {
        await PublishAsync(30);
        Brevo.Latency = TimeSpan.FromMilliseconds(400);
        await using (var first = ServiceProcess.Start(Environment(perHour: 10)))
        {
            await Eventually(() => Task.FromResult(Brevo.Delivered.Count >= 5), TimeSpan.FromSeconds(60), "the first sends", first);
            first.KillHard();
            Assert.True(await first.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        }

        var beforeRestart = Brevo.Delivered.Count;
        Assert.True(beforeRestart < 30, "the crash came too late to test anything");
        await using var second = ServiceProcess.Start(Environment(perHour: 10));
        await Eventually(async () => Brevo.Delivered.Count == 30 && await RabbitBroker.ReadyAsync(Queue.Inbox) == 0,
            TimeSpan.FromSeconds(60), "every mail", second);
        await EveryMailAckedAsync(second);

        var keys = Brevo.Delivered.Select(m => m.IdempotencyKey).ToList();
        Assert.Equal(30, keys.Count);
        Assert.Equal(30, keys.Distinct().Count());
        Assert.Equal(Enumerable.Range(0, 30), Brevo.Delivered.Select(Mails.IndexOf).Order());
        Assert.Empty(await RabbitBroker.DrainAsync(Queue.DeadLetterQueue));
    }

    private static int WindowsOpened(ServiceProcess service) =>
        service.Output.Split('\n').Count(line => line.Contains(" opens with ", StringComparison.Ordinal));

    [Fact]
    public async Task A_restart_mid_day_should_never_spend_the_day_twice()
    {
        await PublishAsync(20);
        await using (var first = ServiceProcess.Start(Environment(perHour: 3, dailyLimit: 10)))
        {
            await Eventually(() => Task.FromResult(Brevo.Delivered.Count >= 6), TimeSpan.FromSeconds(60), "six sends", first);
            first.Terminate();
            Assert.True(await first.WaitForExitAsync(TimeSpan.FromSeconds(30)), first.Output);
        }

        var sentBefore = Brevo.Delivered.Count;
        await using var second = ServiceProcess.Start(Environment(perHour: 3, dailyLimit: 10));
        await Eventually(() => Task.FromResult(Brevo.Delivered.Count >= 10), TimeSpan.FromSeconds(60), "ten sends", second);
        // Three more windows (the keeper logs each as it opens): none may send past the day's 10.
        var opened = WindowsOpened(second);
        await Eventually(() => Task.FromResult(WindowsOpened(second) >= opened + 3), TimeSpan.FromSeconds(30), "three more windows", second);
        Assert.InRange(sentBefore, 6, 9);
        Assert.Equal(10, Brevo.Delivered.Count);
        // The rest waits in the durable inbox, moved there from the producer's queue.
        Assert.Equal(10u, await RabbitBroker.ReadyAsync(Queue.Inbox));
        Assert.Equal(0u, await RabbitBroker.ReadyAsync(Queue.Name));
        Assert.Equal(0, Sample(await ScrapeAsync(), "mail_tokens_left_today"));
    }

    [Fact]
    public async Task The_api_key_should_never_appear_in_logs_metrics_or_errors_while_Brevo_fails()
    {
        await PublishAsync(4);
        Brevo.Script(
            new ScriptedAnswer(500, "internal_error"), new ScriptedAnswer(401, "unauthorized"),
            new ScriptedAnswer(429, "too_many_requests", RateLimitReset: 1), new ScriptedAnswer(400, "invalid_parameter"),
            new ScriptedAnswer(503, "unavailable"), new ScriptedAnswer(502, "bad_gateway"));
        var environment = Environment(perHour: 4);
        await using var service = ServiceProcess.Start(environment);
        // Four failures in a row open the circuit: the later windows wait instead of calling Brevo.
        await Eventually(() => Task.FromResult(Brevo.Requests >= 4), TimeSpan.FromSeconds(40), "the failing sends", service);
        await Eventually(async () => await MetricAsync("mails_fails_total") >= 1, TimeSpan.FromSeconds(30), "mails_fails_total", service);
        var metrics = await ScrapeAsync("/metrics");
        var ready = await new HttpClient().GetAsync(new Uri($"http://127.0.0.1:{MetricsPort}/readyz"));
        service.Terminate();
        await service.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(Sample(metrics, "mails_fails_total") >= 1, metrics);
        Assert.DoesNotContain(ApiKey, service.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET-51c7", service.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKey, metrics, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKey, await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        foreach (var verb in new[] { new[] { "dead-letters", "list" }, new[] { "help" } })
        {
            await using var cli = ServiceProcess.Start(environment, verb);
            await cli.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.DoesNotContain(ApiKey, cli.Output, StringComparison.Ordinal);
        }
    }
}

/// <summary>
/// The service through a broker restart (<c>rabbitmqctl stop_app</c> / <c>start_app</c>). It stops the broker every
/// other spec uses, so <c>scripts/test.sh</c> runs it alone, after the rest (trait <c>Isolation=BrokerRestart</c>).
/// </summary>
[Collection(BrokerRestartCollection.Name)]
[Trait("Isolation", "BrokerRestart")]
[Trait("Loop", "Full")]
public sealed class BrokerRestartSpecs() : ProcessSpecs("xkeysib-broker-restart", "restart")
{
    public override async Task DisposeAsync()
    {
        Rabbitmqctl("start_app");
        await base.DisposeAsync();
    }

    private static void Rabbitmqctl(string command)
    {
        using var process = Process.Start(new ProcessStartInfo("rabbitmqctl", [command]) { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException("rabbitmqctl is not on PATH: install rabbitmq-server (scripts/ensure-rabbitmq.sh)");
        process.WaitForExit(60_000);
        Assert.True(process.ExitCode == 0, $"rabbitmqctl {command} failed: {process.StandardError.ReadToEnd()}");
    }

    [Fact]
    public async Task The_service_should_reconnect_on_its_own_after_a_broker_restart_and_serve_the_next_window()
    {
        await using var service = ServiceProcess.Start(Environment(perHour: 5));
        await Eventually(async () => await ReadyStatusAsync() == 200, TimeSpan.FromSeconds(60), "ready", service);
        await Publisher.PublishAsync(Mails.Body(1, DateTimeOffset.UtcNow.AddDays(1)), 150);

        await Eventually(() => Task.FromResult(Brevo.Delivered.Count == 1), TimeSpan.FromSeconds(60), "the first mail", service);

        Rabbitmqctl("stop_app");
        await Eventually(async () => await ReadyStatusAsync() == 503, TimeSpan.FromSeconds(60), "readiness to report the outage", service);
        Rabbitmqctl("start_app");
        await Eventually(async () => await ReadyStatusAsync() == 200, TimeSpan.FromSeconds(60), "readiness to come back", service);

        // The queue is non-durable (the contract): the restarted broker lost it, and the service declared it again.
        await using (var publisher = await RabbitBroker.PublisherAsync(Queue))
        {
            await publisher.PublishAsync(Mails.Body(2, DateTimeOffset.UtcNow.AddDays(1)), 150);
        }

        await Eventually(() => Task.FromResult(Brevo.Delivered.Count == 2), TimeSpan.FromSeconds(60), "the mail after the restart", service);
        Assert.False(service.HasExited);
        Assert.Equal([1, 2], Brevo.Delivered.Select(Mails.IndexOf));
    }
}
