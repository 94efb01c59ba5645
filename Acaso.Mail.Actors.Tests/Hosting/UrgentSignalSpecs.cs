using System.Diagnostics;
using System.Text.Json;
using Acaso.Mail.Actors.Tests.Support;
using static Acaso.Mail.Actors.Tests.Support.ProcessAssertions;

namespace Acaso.Mail.Actors.Tests.Hosting;

/// <summary>
/// The urgent lane without polling: the inbox mover tells its node's reader of each urgent mail it moves into the
/// durable inbox (on by default), so the reader looks at the queue only then, at start and after a window. Judged by
/// the broker's own statistics (<c>basic.get</c> counts, redeliveries) and what the stand-in received.
/// </summary>
[Trait("Loop", "Full")]
public sealed class UrgentSignalSpecs() : ProcessSpecs("xkeysib-signal", "urgent-signal")
{
    /// <summary>How often RabbitMQ's management plugin refreshes a queue's statistics (its default).</summary>
    private static readonly TimeSpan StatisticsInterval = TimeSpan.FromSeconds(5);

    private Dictionary<string, string> BetweenWindows(bool inbox = true)
    {
        var environment = Environment(perHour: 12);
        // No window opens during a spec: every send is the urgent lane's; a poll, were there one, would come every hour.
        environment["MAIL_HOURLY_CRON"] = "0 0 0 1 1 ? 2099";
        environment["MAIL_END_OF_DAY_CRON"] = "0 0 0 1 1 ? 2099";
        environment["MAIL_URGENT_PRIORITY"] = "200";
        environment["MAIL_URGENT_POLL_SECONDS"] = inbox ? "3600" : "1";
        environment["MAIL_DURABLE_INBOX"] = inbox ? "true" : "false";
        return environment;
    }

    [Fact]
    public async Task An_urgent_mail_between_windows_should_go_on_the_movers_signal_and_an_idle_queue_should_see_no_look()
    {
        // A mail that is not urgent waits for its window. It keeps the inbox from being empty: RabbitMQ 3.10 counts a
        // basic.get that finds a queue empty nowhere, while a look at this one counts a get and a redelivery.
        await Publisher.PublishAsync(Mails.Body(1, DateTimeOffset.UtcNow.AddDays(5)), 150);
        await using var service = ServiceProcess.Start(BetweenWindows());
        await Eventually(async () => await ReadyStatusAsync() == 200, TimeSpan.FromSeconds(30), "ready", service);
        // The look at start (for what a shovel moved while the service was down): one get, the mail put back.
        await Eventually(async () => (await RabbitBroker.QueueStatsAsync(Queue.Inbox)).Gets >= 1, TimeSpan.FromSeconds(30),
            "the broker's statistics to count the look at start", service);
        var idleTo = await RabbitBroker.QueueStatsAsync(Queue.Inbox);
        // Idle: no look for longer than the broker's statistics interval (5 s) and a poll of the old policy (3 s) together.
        await Throughout(async () => await RabbitBroker.QueueStatsAsync(Queue.Inbox) == idleTo, StatisticsInterval + TimeSpan.FromSeconds(3),
            "no look at an idle queue", service);
        Assert.Equal(0, await MetricAsync("mail_taken_total{redelivered=\"false\"}") + await MetricAsync("mail_taken_total{redelivered=\"true\"}"));

        // An urgent mail goes at once, on the mover's signal alone.
        var published = Stopwatch.StartNew();
        await Publisher.PublishAsync(Mails.Body(2, DateTimeOffset.UtcNow.AddHours(5)), 220);
        await Eventually(() => Task.FromResult(Brevo.Delivered.Count == 1), TimeSpan.FromSeconds(15), "the urgent mail", service);
        Console.WriteLine($"urgent mail: publish to the stand-in's receipt in {published.Elapsed.TotalSeconds:0.000} s (no poll could have taken it)");
        Assert.Equal(2, Mails.IndexOf(Assert.Single(Brevo.Delivered)));

        // The broker saw one basic.get (the urgent mail's take) and no redelivery: the mail that is not urgent was not
        // looked at again after the signal; only the take counts as taken.
        await Eventually(async () => (await RabbitBroker.QueueStatsAsync(Queue.Inbox)).Gets > idleTo.Gets, StatisticsInterval * 3,
            "the broker's statistics to count the urgent mail's take", service);
        Assert.Equal((idleTo.Gets + 1, idleTo.Redelivered), await RabbitBroker.QueueStatsAsync(Queue.Inbox));
        Assert.Equal(1u, await RabbitBroker.ReadyAsync(Queue.Inbox));
        Assert.Equal(1, await MetricAsync("mail_taken_total{redelivered=\"false\"}"));
    }

    [Fact]
    public async Task An_urgent_burst_with_an_expired_mail_should_still_spend_the_whole_lent_window()
    {
        // Between windows one window of 12 may be lent (MAIL_URGENT_BORROW_WINDOWS 1). An urgent mail spends one token;
        // then 20 more at the lane's threshold, the third for a mentoring that has passed. A look that dead-letters its
        // mail must look again: the other 11 tokens go to the 11 mails behind it, not to the next window.
        var environment = BetweenWindows();
        environment["MAIL_URGENT_PRIORITY"] = "199";
        await using var service = ServiceProcess.Start(environment);
        await Eventually(async () => await ReadyStatusAsync() == 200, TimeSpan.FromSeconds(30), "ready", service);
        await Publisher.PublishAsync(Mails.Body(100, DateTimeOffset.UtcNow.AddHours(5)), 220);
        await Eventually(() => Task.FromResult(Brevo.Delivered.Count == 1), TimeSpan.FromSeconds(15), "the first urgent mail", service);

        for (var i = 1; i <= 20; i++)
        {
            var mentoring = i == 3 ? DateTimeOffset.UtcNow.AddDays(-2) : DateTimeOffset.UtcNow.AddHours(20);
            await Publisher.PublishAsync(Mails.Body(i, mentoring), 199);
        }

        await Eventually(async () => await MetricAsync("mail_dead_letters_total{reason=\"expired\"}") == 1, TimeSpan.FromSeconds(15),
            "the expired mail dead-lettered", service);
        await Eventually(() => Task.FromResult(Brevo.Delivered.Count == 12), TimeSpan.FromSeconds(20),
            "12 sends in all (the lent window)", service);
        int[] expected = [100, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        Assert.Equal(expected.Order(), Brevo.Delivered.Select(Mails.IndexOf).Order());
        // The lane has lent its window: the rest waits for the next one.
        await Eventually(async () => await RabbitBroker.ReadyAsync(Queue.Inbox) + await RabbitBroker.ReadyAsync(Queue.Name) == 8,
            TimeSpan.FromSeconds(10), "8 mails waiting for the next window", service);
        Assert.Equal(12, Brevo.Delivered.Count);
    }

    [Fact]
    public async Task A_look_that_puts_a_mail_back_should_count_no_take_and_write_no_taken_line_in_its_history()
    {
        // Without the inbox the reader still polls (every second here) and each look puts the mail that is not urgent back.
        await Publisher.PublishAsync(Mails.Body(3, DateTimeOffset.UtcNow.AddDays(5)), 150);
        await using var service = ServiceProcess.Start(BetweenWindows(inbox: false));
        await Eventually(async () => await ReadyStatusAsync() == 200, TimeSpan.FromSeconds(30), "ready", service);
        await Eventually(async () => (await RabbitBroker.QueueStatsAsync(Queue.Name)).Gets >= 2, TimeSpan.FromSeconds(30), "two looks", service);

        Assert.Empty(Brevo.Delivered);
        Assert.Equal(0, await MetricAsync("mail_taken_total{redelivered=\"false\"}"));
        Assert.Equal(0, await MetricAsync("mail_taken_total{redelivered=\"true\"}"));
        var history = (await CliAsync("history", "mail-3@example.org")).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("kind").GetString());
        Assert.DoesNotContain("taken", history);
    }
}
