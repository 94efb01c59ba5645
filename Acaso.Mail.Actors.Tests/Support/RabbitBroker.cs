using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Settings;
using RabbitMQ.Client;

namespace Acaso.Mail.Actors.Tests.Support;

/// <summary>
/// The real RabbitMQ the tests need, on localhost:5672 (or <c>TEST_RABBITMQ_URL</c>). When it cannot be reached the
/// test fails with how to get one; it is never skipped and never mocked.
/// </summary>
public static class RabbitBroker
{
    public static Uri Url { get; } = new(Environment.GetEnvironmentVariable("TEST_RABBITMQ_URL") ?? "amqp://guest:guest@localhost:5672/%2f");

    /// <summary>Settings for a fresh queue of this test's own, declared as the contract says.</summary>
    public static QueueSettings NewQueue(string prefix = "test") =>
        new(Url, $"{prefix}-{Guid.NewGuid():N}", Durable: false, MaxPriority: 255, PollInterval: TimeSpan.FromMilliseconds(200));

    /// <summary>Fails with instructions when no broker answers.</summary>
    public static async Task<IConnection> ConnectAsync()
    {
        try
        {
            return await new ConnectionFactory { Uri = Url }.CreateConnectionAsync();
        }
        catch (Exception e)
        {
            throw new InvalidOperationException(
                $"RabbitMQ is not reachable at {Url.Host}:{Url.Port} ({e.GetBaseException().Message}). " +
                "These tests need a real broker: run scripts/test.sh, or scripts/ensure-rabbitmq.sh before `dotnet test` " +
                "(it installs rabbitmq-server from apt, starts it in the background and waits until it is ready).", e);
        }
    }

    /// <summary>Deletes a test's queue, its inbox and its dead-letter queue.</summary>
    public static async Task DeleteAsync(QueueSettings queue)
    {
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeleteAsync(queue.Name, ifUnused: false, ifEmpty: false);
        await channel.QueueDeleteAsync(queue.Inbox, ifUnused: false, ifEmpty: false);
        await channel.QueueDeleteAsync(queue.DeadLetterQueue, ifUnused: false, ifEmpty: false);
    }

    /// <summary>Ready and unacked counts of a queue, as the broker sees them.</summary>
    public static async Task<uint> ReadyAsync(string queue)
    {
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        return await channel.MessageCountAsync(queue);
    }

    /// <summary>Ready messages of a queue, or 0 while nobody has declared it yet (a service still starting).</summary>
    public static async Task<uint> ReadyIfDeclaredAsync(string queue)
    {
        try
        {
            return await ReadyAsync(queue);
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0;
        }
    }

    /// <summary>
    /// Whether the broker's statistics show every message of these queues gone: none ready and none delivered but
    /// unacknowledged. The statistics lag (refreshed every 5 s), but a sample of none at all was taken when none was
    /// left, and a queue with nothing unacknowledged has nothing to redeliver: no mail of it can be sent again. A queue
    /// not declared counts as empty.
    /// </summary>
    public static async Task<bool> EveryMessageAckedAsync(params string[] queues)
    {
        foreach (var queue in queues)
        {
            if (await MessagesAsync(queue) is not (0 or null))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The messages a queue holds, ready or delivered and not yet acknowledged, by the broker's statistics (refreshed every
    /// 5 s); null for a queue not declared, -1 while the statistics have no count yet.
    /// </summary>
    public static async Task<long?> MessagesAsync(string queue)
    {
        using var http = ManagementClient();
        using var response = await http.GetAsync(new Uri($"http://localhost:15672/api/queues/%2F/{Uri.EscapeDataString(queue)}"));
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        using var document = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.TryGetProperty("messages", out var messages) && messages.ValueKind == System.Text.Json.JsonValueKind.Number
            ? messages.GetInt64()
            : -1;
    }

    private static HttpClient ManagementClient()
    {
        var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String("guest:guest"u8.ToArray()));
        return http;
    }

    /// <summary>
    /// What the broker itself counted on a queue (its management plugin's statistics, refreshed every 5 s): messages got
    /// with <c>basic.get</c>, and deliveries of messages marked redelivered. (RabbitMQ 3.10 counts a <c>basic.get</c>
    /// that finds a queue empty nowhere: a spec that looks for looks keeps a mail waiting.)
    /// </summary>
    public static async Task<(long Gets, long Redelivered)> QueueStatsAsync(string queue)
    {
        using var http = ManagementClient();
        string json;
        try
        {
            json = await http.GetStringAsync(new Uri($"http://localhost:15672/api/queues/%2F/{Uri.EscapeDataString(queue)}"));
        }
        catch (HttpRequestException e)
        {
            throw new InvalidOperationException(
                "RabbitMQ's management API does not answer on localhost:15672: run scripts/ensure-rabbitmq.sh (it enables rabbitmq_management).", e);
        }

        using var document = System.Text.Json.JsonDocument.Parse(json);
        long Stat(string name) =>
            document.RootElement.TryGetProperty("message_stats", out var stats) && stats.TryGetProperty(name, out var value) ? value.GetInt64() : 0;
        return (Stat("get") + Stat("get_no_ack"), Stat("redeliver"));
    }

    /// <summary>Everything in a queue, taken and acked (for reading the dead-letter queue).</summary>
    public static async Task<List<BasicGetResult>> DrainAsync(string queue)
    {
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        var all = new List<BasicGetResult>();
        while (await channel.BasicGetAsync(queue, autoAck: true) is { } message)
        {
            all.Add(message);
        }

        return all;
    }

    /// <summary>A publisher on the queue (it declares the queue as the producer does).</summary>
    public static async Task<MailPublisher> PublisherAsync(QueueSettings queue)
    {
        // Fails with instructions first when there is no broker.
        await (await ConnectAsync()).DisposeAsync();
        return await MailPublisher.ConnectAsync(queue);
    }
}
