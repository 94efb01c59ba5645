using System.Diagnostics;
using System.Globalization;
using System.Text;
using Acaso.Mail.Actors.Tests.Support;
using static Acaso.Mail.Actors.Tests.Support.ProcessAssertions;

namespace Acaso.Mail.Actors.Tests.Hosting;

/// <summary>
/// Mail that waits in the broker survives the broker: a full node restart (with the service running, or stopped), a
/// silent partition made with iptables, a disk alarm that blocks publishers. These stop, cut off or block the shared
/// broker, so <c>scripts/test.sh</c> runs them alone, after the rest (trait <c>Isolation=BrokerRestart</c>).
/// </summary>
[Collection(BrokerRestartCollection.Name)]
[Trait("Isolation", "BrokerRestart")]
[Trait("Loop", "Full")]
public sealed class DurabilitySpecs() : ProcessSpecs("xkeysib-DURABILITY-SECRET-3e71", "durable")
{
    protected override int BrevoCredits => 1000;

    public override async Task DisposeAsync()
    {
        // Whatever a spec did to the node, it serves again before the next one.
        BrokerNode.Start();
        await base.DisposeAsync();
    }

    /// <summary>The environment with one window of <paramref name="perHour"/> tokens at <paramref name="at"/> (UTC) and none before.</summary>
    private Dictionary<string, string> OneWindowAt(DateTimeOffset at, int perHour)
    {
        var environment = Environment(perHour, hourlyCron: string.Create(CultureInfo.InvariantCulture, $"{at.Second} {at.Minute} {at.Hour} * * ?"));
        environment["MAIL_TIMEZONE"] = "UTC";
        return environment;
    }

    private async Task PublishGoodAsync(int count, int from = 0)
    {
        for (var i = from; i < from + count; i++)
        {
            // Below the urgent lane's 199: they wait for a window.
            await Publisher.PublishAsync(Mails.Body(i, DateTimeOffset.UtcNow.AddDays(3)), (byte)(100 + i % 90));
        }
    }

    private void AssertEachSentOnce(int count)
    {
        var delivered = Brevo.Delivered;
        Assert.Equal(Enumerable.Range(0, count), delivered.Select(Mails.IndexOf).Order());
        Assert.Equal(count, delivered.Select(m => m.IdempotencyKey).Distinct().Count());
    }

    [Fact]
    public async Task A_full_node_restart_should_lose_no_waiting_mail_nor_dead_letter_while_the_service_runs()
    {
        await PublishGoodAsync(30);
        // Two bad ones, urgent: the urgent lane's look dead-letters them within seconds, before the restart.
        await Publisher.PublishAsync(Mails.Utf8("{\"template\": 7"), 250);
        await Publisher.PublishAsync(Mails.Utf8("not json at all"), 240);
        await using var service = ServiceProcess.Start(OneWindowAt(DateTimeOffset.UtcNow.AddSeconds(40), perHour: 30));
        await Eventually(async () => await RabbitBroker.ReadyIfDeclaredAsync(Queue.Inbox) == 30 && await RabbitBroker.ReadyIfDeclaredAsync(Queue.Name) == 0,
            TimeSpan.FromSeconds(30), "30 mails moved into the inbox", service);
        await Eventually(async () => await RabbitBroker.ReadyIfDeclaredAsync(Queue.DeadLetterQueue) == 2, TimeSpan.FromSeconds(30), "2 dead letters", service);
        // All 32 went through the inbox; the two bad ones left it for the dead-letter queue.
        await Eventually(async () => await MetricAsync("mail_inbox_moved_total") == 32, TimeSpan.FromSeconds(10), "mail_inbox_moved_total", service);
        Assert.Empty(Brevo.Delivered);

        BrokerNode.Restart();

        // The dead letters came back with their reasons and priorities; the 30 waiting mails are sent once each.
        Assert.Equal(2u, await RabbitBroker.ReadyIfDeclaredAsync(Queue.DeadLetterQueue));
        await Eventually(() => Task.FromResult(Brevo.Delivered.Count == 30), TimeSpan.FromSeconds(90), "30 mails after the restart", service);
        await EveryMailAckedAsync(service);
        AssertEachSentOnce(30);
        var dead = await RabbitBroker.DrainAsync(Queue.DeadLetterQueue);
        Assert.Equal([("invalid_json", (byte)250), ("invalid_json", (byte)240)],
            dead.OrderByDescending(d => d.BasicProperties.Priority)
                .Select(d => (Encoding.UTF8.GetString((byte[])d.BasicProperties.Headers!["x-acaso-reason"]!), d.BasicProperties.Priority)));
        Assert.All(dead, d => Assert.True(d.BasicProperties.Persistent));
    }

    [Fact]
    public async Task Mail_moved_before_the_service_stopped_should_survive_a_node_restart_while_it_is_down()
    {
        await PublishGoodAsync(30);
        await using (var first = ServiceProcess.Start(OneWindowAt(DateTimeOffset.UtcNow.AddHours(1), perHour: 30)))
        {
            await Eventually(async () => await RabbitBroker.ReadyIfDeclaredAsync(Queue.Inbox) == 30, TimeSpan.FromSeconds(30), "30 mails moved into the inbox", first);
            first.Terminate();
            Assert.True(await first.WaitForExitAsync(TimeSpan.FromSeconds(30)), first.Output);
        }

        BrokerNode.Restart();
        Publisher = await RabbitBroker.PublisherAsync(Queue);

        await using var second = ServiceProcess.Start(Environment(perHour: 30));
        await Eventually(() => Task.FromResult(Brevo.Delivered.Count == 30), TimeSpan.FromSeconds(60), "30 mails after the restart", second);
        await EveryMailAckedAsync(second);
        AssertEachSentOnce(30);
    }

    [Fact]
    public async Task A_silent_partition_should_be_seen_within_15_s_and_mail_should_flow_within_15_s_of_the_heal()
    {
        await PublishGoodAsync(20);
        Brevo.Latency = TimeSpan.FromMilliseconds(300);
        await using var service = ServiceProcess.Start(Environment(perHour: 4));
        await Eventually(() => Task.FromResult(Brevo.Delivered.Count >= 4), TimeSpan.FromSeconds(60), "the first window", service);

        var clock = Stopwatch.StartNew();
        TimeSpan seen, flowing;
        string readiness;
        using (BrokerNode.Partition())
        {
            await Eventually(async () => await ReadyStatusAsync() == 503, TimeSpan.FromSeconds(30), "readiness to see the partition", service);
            seen = clock.Elapsed;
            readiness = await ScrapeReadyzAsync();
            Assert.Equal(0, Sample(await ScrapeAsync(), "mail_broker_connected"));
            // Held past the heartbeat timeout, so both ends give the connection up.
            await Task.Delay(TimeSpan.FromSeconds(25) - clock.Elapsed);
            var sentDuring = Brevo.Delivered.Count;
            await Task.Delay(TimeSpan.FromSeconds(5));
            Assert.Equal(sentDuring, Brevo.Delivered.Count);
            clock.Restart();
        }

        var before = Brevo.Delivered.Count;
        await Eventually(() => Task.FromResult(Brevo.Delivered.Count > before), TimeSpan.FromSeconds(30), "mail to flow after the heal", service);
        flowing = clock.Elapsed;
        await Eventually(async () => await ReadyStatusAsync() == 200, TimeSpan.FromSeconds(30), "readiness after the heal", service);
        await Eventually(() => Task.FromResult(Brevo.Delivered.Count == 20), TimeSpan.FromSeconds(90), "every mail", service);
        await EveryMailAckedAsync(service);
        AssertEachSentOnce(20);
        Assert.True(seen < TimeSpan.FromSeconds(15), $"the partition was seen after {seen.TotalSeconds:0.0} s");
        Assert.True(flowing < TimeSpan.FromSeconds(15), $"mail flowed {flowing.TotalSeconds:0.0} s after the heal");
        Assert.Contains("broker disconnected", readiness, StringComparison.Ordinal);
        Console.WriteLine($"partition: seen after {seen.TotalSeconds:0.0} s, mail flowing {flowing.TotalSeconds:0.0} s after the heal");
    }

    [Fact]
    public async Task A_disk_alarm_should_block_nothing_for_good_and_lose_nothing()
    {
        await PublishGoodAsync(5);
        // Mail waiting in the producer's queue when the alarm begins: the mover's copies into the inbox are blocked.
        using var alarm = BrokerNode.DiskAlarm();
        {
            await using var service = ServiceProcess.Start(Environment(perHour: 10));
            await Eventually(async () => await MetricAsync("mail_broker_blocked") == 1, TimeSpan.FromSeconds(30), "mail_broker_blocked", service);
            Assert.Equal(503, await ReadyStatusAsync());
            Assert.Contains("blocks publishers", await ScrapeReadyzAsync(), StringComparison.Ordinal);
            // The producer publishes meanwhile: its publish waits for the alarm to pass, as RabbitMQ makes it.
            var publishing = PublishGoodAsync(5, from: 5);
            await Task.Delay(2000);
            Assert.Empty(Brevo.Delivered);
            Assert.False(service.HasExited);

            alarm.Dispose();
            await publishing.WaitAsync(TimeSpan.FromSeconds(60));
            await Eventually(() => Task.FromResult(Brevo.Delivered.Count == 10), TimeSpan.FromSeconds(60), "every mail after the alarm", service);
            await Eventually(async () => await ReadyStatusAsync() == 200, TimeSpan.FromSeconds(30), "readiness after the alarm", service);
            Assert.Equal(0, Sample(await ScrapeAsync(), "mail_broker_blocked"));
        }

        AssertEachSentOnce(10);
    }

    [Fact]
    public async Task Mail_the_broker_shovel_moved_while_the_service_was_down_should_be_sent_the_same()
    {
        // The inbox exists (docker-compose's one-shot job declares it, as the service does at its first start).
        await using (var connection = await RabbitBroker.ConnectAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.QueueDeclareAsync(Queue.Inbox, durable: true, exclusive: false, autoDelete: false,
                arguments: Acaso.Mail.Actors.Queue.Broker.RabbitMailQueue.QueueArguments(Queue));
        }

        using (BrokerNode.InboxShovel(Queue.Name, Queue.Inbox))
        {
            await PublishGoodAsync(10);
            await Eventually(async () => await RabbitBroker.ReadyIfDeclaredAsync(Queue.Inbox) == 10 && await RabbitBroker.ReadyIfDeclaredAsync(Queue.Name) == 0, TimeSpan.FromSeconds(30),
                "the shovel to move 10 mails into the inbox");
            using var inbox = await RabbitBroker.ConnectAsync();
            await using var peek = await inbox.CreateChannelAsync();
            var copy = await peek.BasicGetAsync(Queue.Inbox, autoAck: false);
            Assert.True(copy!.BasicProperties.Persistent);
            await peek.BasicNackAsync(copy.DeliveryTag, multiple: false, requeue: true);
        }

        await using var service = ServiceProcess.Start(Environment(perHour: 10));
        await Eventually(() => Task.FromResult(Brevo.Delivered.Count == 10), TimeSpan.FromSeconds(60), "10 mails", service);
        await EveryMailAckedAsync(service);
        AssertEachSentOnce(10);
        Assert.Equal(0, await MetricAsync("mail_inbox_moved_total"));
    }

    private async Task<string> ScrapeReadyzAsync()
    {
        using var http = new HttpClient();
        return await (await http.GetAsync(new Uri($"http://127.0.0.1:{MetricsPort}/readyz"))).Content.ReadAsStringAsync();
    }
}
