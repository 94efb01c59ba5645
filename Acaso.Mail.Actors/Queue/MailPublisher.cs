using System.Text.Json;
using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Settings;
using RabbitMQ.Client;

namespace Acaso.Mail.Actors.Queue;

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
        var factory = new ConnectionFactory { Uri = settings.Url, ClientProvidedName = "acaso-mail-publisher" };
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

    /// <summary>Messages ready in the queue (taken and unacked ones not counted).</summary>
    public async Task<uint> ReadyCountAsync(CancellationToken cancellationToken = default) =>
        await _channel.MessageCountAsync(_settings.Name, cancellationToken).ConfigureAwait(false);

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

    private static readonly string[] FirstNames =
        ["Ana", "João", "Maria", "Pedro", "Letícia", "Rafael", "Beatriz", "Lucas", "Isabela", "Gabriel", "Júlia", "Thiago", "Larissa", "Caio", "Sofia", "Enzo", "Valentina", "Davi", "Helena", "Mateus"];

    private static readonly string[] LastNames =
        ["Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima", "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Araújo", "Melo", "Barbosa", "Rocha", "Dias", "Nogueira"];

    private static readonly string[] Titles = ["", "", "", "Dr. ", "Dra. ", "Sr. ", "Sra. "];

    /// <summary>A random mail like the old <c>main_publisher.py</c> made: any template, names, a mentoring 0 to 10 days ahead.</summary>
    public static MentoringMail Random(Random random, DateTimeOffset now, TimeZoneInfo zone, int index)
    {
        string Name() => Titles[random.Next(Titles.Length)] + FirstNames[random.Next(FirstNames.Length)] + " " + LastNames[random.Next(LastNames.Length)];
        var templates = Enum.GetValues<MailTemplate>();
        var template = templates[random.Next(templates.Length)];
        var mentoring = TimeZoneInfo.ConvertTime(now, zone).AddDays(random.Next(0, 11)).AddMinutes(random.Next(30, 24 * 60));
        var mentor = Name();
        var mentored = Name();
        var toMentor = template is MailTemplate.ConfirmationToMentor or MailTemplate.NotifyMentorOfMentoredLeaving;
        return new MentoringMail(template, mentor, mentored,
            random.Next(2) == 0 ? null : Guid.NewGuid().ToString(),
            random.Next(2) == 0 ? null : Guid.NewGuid().ToString(),
            mentoring,
            toMentor ? mentor : mentored,
            $"user{now:yyyy}-{index}@example.org");
    }
}
