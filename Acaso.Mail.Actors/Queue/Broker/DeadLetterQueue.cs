using System.Text;
using System.Text.Json;
using Acaso.Mail.Actors.Settings;
using RabbitMQ.Client;

namespace Acaso.Mail.Actors.Queue.Broker;

/// <summary>One message in the dead-letter queue, as an operator reads it.</summary>
/// <param name="Reason">Why it is there (<c>x-acaso-reason</c>).</param>
/// <param name="Detail">What exactly was wrong (<c>x-acaso-detail</c>).</param>
/// <param name="Template">The template id in its body, when the body says.</param>
/// <param name="Recipient">The recipient's address in its body, when the body says.</param>
/// <param name="Priority">Its original AMQP priority.</param>
/// <param name="At">When it was dead-lettered.</param>
/// <param name="Id">
/// What names this one letter to <c>replay --id</c> and <c>discard</c>: 12 hex digits of a SHA-256 over its body, reason and
/// time (the queue gives a message no name of its own). Two letters alike in all three share it, and either may be taken.
/// </param>
public sealed record DeadLetterEntry(string Reason, string Detail, int? Template, string? Recipient, byte Priority, DateTimeOffset? At, string Id);

/// <summary>
/// The operator's view of <c>&lt;queue&gt;.dead-letters</c>: list what is there, and replay messages back to the main
/// queue with their original body and priority. Messages it does not move stay where they were.
/// </summary>
public sealed class DeadLetterQueue(QueueSettings settings)
{
    /// <summary>Every message in the dead-letter queue, oldest first, left in place.</summary>
    public async Task<IReadOnlyList<DeadLetterEntry>> ListAsync(CancellationToken cancellationToken = default)
    {
        var entries = new List<DeadLetterEntry>();
        await WalkAsync((message, _) =>
        {
            entries.Add(Describe(message));
            return Task.FromResult(false);
        }, cancellationToken).ConfigureAwait(false);
        return entries;
    }

    /// <summary>
    /// Moves up to <paramref name="limit"/> messages (of <paramref name="reason"/> only, when given; the one of
    /// <paramref name="id"/> only, when given) back to the main queue, oldest first, and returns how many moved.
    /// </summary>
    public async Task<int> ReplayAsync(string? reason, int limit, string? id = null, CancellationToken cancellationToken = default)
    {
        var moved = 0;
        await WalkAsync(async (message, publisher) =>
        {
            if (moved >= limit || (reason is not null && Header(message.BasicProperties, "x-acaso-reason") != reason)
                || (id is not null && IdOf(message) != id))
            {
                return false;
            }

            var properties = new BasicProperties(message.BasicProperties);
            if (properties.Headers is { } headers)
            {
                var kept = headers.Where(h => !h.Key.StartsWith("x-acaso-", StringComparison.Ordinal)).ToDictionary(h => h.Key, h => h.Value);
                properties.Headers = kept.Count == 0 ? null : kept;
            }

            // Back where the reader takes (the durable inbox, when it is on), persistent: a replayed letter survives a broker restart too.
            properties.Persistent = true;
            await publisher.BasicPublishAsync("", settings.ReadQueue, mandatory: true, properties, message.Body, cancellationToken).ConfigureAwait(false);
            moved++;
            return true;
        }, cancellationToken).ConfigureAwait(false);
        return moved;
    }

    /// <summary>Removes the letter of <paramref name="id"/> for good (an operator's decision); false when no letter has it.</summary>
    public async Task<bool> DiscardAsync(string id, CancellationToken cancellationToken = default)
    {
        var discarded = false;
        await WalkAsync((message, _) =>
        {
            var match = !discarded && IdOf(message) == id;
            discarded |= match;
            return Task.FromResult(match);
        }, cancellationToken).ConfigureAwait(false);
        return discarded;
    }

    private static string IdOf(BasicGetResult message)
    {
        var at = message.BasicProperties.Headers?.TryGetValue("x-acaso-dead-lettered-at", out var when) == true ? when?.ToString() : "";
        var head = Encoding.UTF8.GetBytes($"{Header(message.BasicProperties, "x-acaso-reason")}\n{at}\n");
        var hash = System.Security.Cryptography.SHA256.HashData([.. head, .. message.Body.Span]);
        return Convert.ToHexStringLower(hash.AsSpan(0, 6));
    }

    /// <summary>Takes every message once; <paramref name="visit"/> says whether it was moved (then it is acked).</summary>
    private async Task WalkAsync(Func<BasicGetResult, IChannel, Task<bool>> visit, CancellationToken cancellationToken)
    {
        var factory = BrokerConnection.Factory(settings, "acaso-mail-dead-letters");
        await using var connection = await factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await using var publisher = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
            cancellationToken).ConfigureAwait(false);
        await channel.QueueDeclareAsync(settings.DeadLetterQueue, durable: true, exclusive: false, autoDelete: false,
            arguments: null, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (settings.DurableInbox)
        {
            await channel.QueueDeclareAsync(settings.Inbox, durable: true, exclusive: false, autoDelete: false,
                arguments: RabbitMailQueue.QueueArguments(settings), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        var count = await channel.MessageCountAsync(settings.DeadLetterQueue, cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < count; i++)
        {
            if (await channel.BasicGetAsync(settings.DeadLetterQueue, autoAck: false, cancellationToken).ConfigureAwait(false) is not { } message)
            {
                break;
            }

            if (await visit(message, publisher).ConfigureAwait(false))
            {
                await channel.BasicAckAsync(message.DeliveryTag, multiple: false, cancellationToken).ConfigureAwait(false);
            }
        }

        // Whatever was not moved goes back where it was; closing the channel would do the same.
        await channel.BasicNackAsync(0, multiple: true, requeue: true, cancellationToken).ConfigureAwait(false);
    }

    private static DeadLetterEntry Describe(BasicGetResult message)
    {
        int? template = null;
        string? recipient = null;
        try
        {
            using var json = JsonDocument.Parse(message.Body);
            var root = json.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (root.TryGetProperty("template", out var t) && t.TryGetInt32(out var id))
                {
                    template = id;
                }

                if (root.TryGetProperty("recipient", out var r) && r.ValueKind == JsonValueKind.Object
                    && r.TryGetProperty("email", out var e) && e.ValueKind == JsonValueKind.String)
                {
                    recipient = e.GetString();
                }
            }
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            // A dead letter is often not JSON at all, or holds an escape no string can (such as "\ud800"): it is
            // listed by its reason alone.
        }

        DateTimeOffset? at = message.BasicProperties.Headers?.TryGetValue("x-acaso-dead-lettered-at", out var when) == true && when is long seconds
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;
        return new DeadLetterEntry(Header(message.BasicProperties, "x-acaso-reason") ?? "unknown",
            Header(message.BasicProperties, "x-acaso-detail") ?? "", template, recipient, message.BasicProperties.Priority, at, IdOf(message));
    }

    private static string? Header(IReadOnlyBasicProperties properties, string name) =>
        properties.Headers?.TryGetValue(name, out var value) == true
            ? value switch
            {
                byte[] bytes => Encoding.UTF8.GetString(bytes),
                string text => text,
                _ => value?.ToString(),
            }
            : null;
}
