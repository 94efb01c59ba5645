using System.Text.Json;
using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Settings;
using RabbitMQ.Client;

namespace Acaso.Mail.Actors.Queue.Broker;

/// <summary>
/// Publishes mail requests exactly as Acaso's producer does: default exchange, routing key = queue name, the
/// queue declared with the contract's arguments, the AMQP priority set, not persistent, no content type. A C#
/// producer can use it as it is; the <c>publish</c> command and the tests do.
/// </summary>
public sealed class MailPublisher : IAsyncDisposable
{
    private readonly QueueSettings _settings;
    private readonly IConnection _connection;
    private readonly IChannel _channel;

    private MailPublisher(QueueSettings settings, IConnection connection, IChannel channel)
    {
        _settings = settings;
        _connection = connection;
        _channel = channel;
    }

    /// <summary>Connects, and declares the queue as the producer does.</summary>
    public static async Task<MailPublisher> ConnectAsync(QueueSettings settings, CancellationToken cancellationToken = default)
    {
        var factory = BrokerConnection.Factory(settings, "acaso-mail-publisher");
        var connection = await factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
        var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
            cancellationToken).ConfigureAwait(false);
        await channel.QueueDeclareAsync(settings.Name, durable: settings.Durable, exclusive: false, autoDelete: false,
            arguments: RabbitMailQueue.QueueArguments(settings), cancellationToken: cancellationToken).ConfigureAwait(false);
        return new MailPublisher(settings, connection, channel);
    }

    /// <summary>Publishes raw body bytes at <paramref name="priority"/> (null: no priority property, which means 0).</summary>
    public async Task PublishAsync(ReadOnlyMemory<byte> body, byte? priority, CancellationToken cancellationToken = default)
    {
        var properties = new BasicProperties();
        if (priority is { } p)
        {
            properties.Priority = p;
        }

        await _channel.BasicPublishAsync("", _settings.Name, mandatory: false, properties, body, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Publishes a mentoring mail with the producer's own priority for it at <paramref name="now"/>.</summary>
    public Task PublishAsync(MentoringMail mail, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        PublishAsync(mail.ToBody(), MentoringPriority.For(mail.Mentoring, now), cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>A mail request as the producer builds it, before it becomes bytes.</summary>
public sealed record MentoringMail(
    MailTemplate Template, string MentorName, string? MentoredName, string? MentorId, string? MentoredId,
    DateTimeOffset Mentoring, string RecipientName, string RecipientEmail)
{
    /// <summary>The body exactly as the Python producer writes it (<c>str(datetime)</c>, a space before the time).</summary>
    public byte[] ToBody() => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
    {
        ["mail_params"] = new Dictionary<string, object?>
        {
            ["mentor_name"] = MentorName,
            ["mentoring_datetime"] = Mentoring.ToString("yyyy-MM-dd HH:mm:ss.ffffffzzz", System.Globalization.CultureInfo.InvariantCulture),
            ["mentored_name"] = MentoredName,
            ["mentor_id"] = MentorId,
            ["mentored_id"] = MentoredId,
        },
        ["recipient"] = new Dictionary<string, object?> { ["name"] = RecipientName, ["email"] = RecipientEmail },
        ["template"] = (int)Template,
    });
}
