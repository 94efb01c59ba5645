using Acaso.Mail.Actors.Settings;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Acaso.Mail.Actors.Queue;

/// <summary>The queue exists on the broker with another declaration than ours (PRECONDITION_FAILED).</summary>
public sealed class QueueDeclarationMismatchException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// The contract's queue on a real RabbitMQ (RabbitMQ.Client 7, automatic recovery), with manual acks: an unacked
/// message returns to the queue when the connection drops or the service dies. Dead letters are published with
/// publisher confirms before the original is acked, so none is lost between. How a take gets its message is the
/// mode's: <see cref="RabbitPullQueue"/> (daily mode, one <c>basic.get</c> a take) or <see cref="RabbitConsumerQueue"/>
/// (unlimited mode, a consumer with a prefetch).
/// </summary>
public abstract class RabbitMailQueue(QueueSettings settings, ILogger logger) : IMailQueue
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<ulong, BasicGetResult> _unacked = [];
    private IConnection? _connection;
    private IChannel? _channel;
    private IChannel? _publisher;
    private volatile bool _closing;

    /// <summary>The queue's settings.</summary>
    protected QueueSettings Settings => settings;

    /// <summary>The log of this queue.</summary>
    protected ILogger Logger => logger;

    /// <summary>The publisher-confirms channel (also used for passive questions), when connected.</summary>
    protected IChannel? Publisher => _publisher;

    /// <inheritdoc />
    public bool IsConnected => _connection is { IsOpen: true } && _channel is { IsOpen: true };

    /// <summary>The arguments the queue is declared with: exactly the producer's by default.</summary>
    public static Dictionary<string, object?> QueueArguments(QueueSettings settings) =>
        new() { ["x-max-priority"] = settings.MaxPriority };

    /// <inheritdoc />
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsureChannelAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async Task<QueueMessage?> TakeAsync(CancellationToken cancellationToken = default)
    {
        if (await NextAsync(cancellationToken).ConfigureAwait(false) is not var (result, remaining))
        {
            return null;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _unacked[result.DeliveryTag] = result;
        }
        finally
        {
            _gate.Release();
        }

        return new QueueMessage(result.DeliveryTag, result.Body.ToArray(), result.BasicProperties.Priority,
            result.Redelivered, remaining, result.BasicProperties.IsPriorityPresent());
    }

    /// <summary>The next message and how many the broker still holds, or null when there is none now.</summary>
    protected abstract Task<(BasicGetResult Result, uint Remaining)?> NextAsync(CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="action"/> on the open channel (connecting first when needed), alone.</summary>
    protected async Task<T> WithChannelAsync<T>(Func<IChannel, Task<T>> action, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await action(await EnsureChannelAsync(cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Called on each new channel, after the declarations (a consumer starts here).</summary>
    protected virtual Task OnChannelOpenedAsync(IChannel channel, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task AckAsync(QueueMessage message) =>
        SettleAsync(message, channel => channel.BasicAckAsync(message.DeliveryTag, multiple: false));

    /// <inheritdoc />
    public Task RequeueAsync(QueueMessage message) =>
        SettleAsync(message, channel => channel.BasicNackAsync(message.DeliveryTag, multiple: false, requeue: true));

    /// <inheritdoc />
    public async Task DeadLetterAsync(QueueMessage message, string reason, string detail)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!_unacked.TryGetValue(message.DeliveryTag, out var original))
            {
                return;
            }

            var properties = new BasicProperties(original.BasicProperties);
            var headers = properties.Headers is null ? new Dictionary<string, object?>() : new Dictionary<string, object?>(properties.Headers);
            headers["x-acaso-reason"] = reason;
            headers["x-acaso-detail"] = detail.Length > 1000 ? detail[..1000] : detail;
            headers["x-acaso-dead-lettered-at"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            headers["x-acaso-original-queue"] = settings.Name;
            properties.Headers = headers;
            properties.Priority = original.BasicProperties.Priority;

            var publisher = _publisher ?? throw new InvalidOperationException("not connected");
            // With publisher confirms on, this returns once the broker has the copy.
            await publisher.BasicPublishAsync("", settings.DeadLetterQueue, mandatory: true, properties, original.Body).ConfigureAwait(false);
            await _channel!.BasicAckAsync(message.DeliveryTag, multiple: false).ConfigureAwait(false);
            _unacked.Remove(message.DeliveryTag);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task SettleAsync(QueueMessage message, Func<IChannel, ValueTask> settle)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!_unacked.Remove(message.DeliveryTag) || _channel is not { IsOpen: true } channel)
            {
                // The channel that delivered it is gone: the broker has already requeued the message.
                return;
            }

            await settle(channel).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<IChannel> EnsureChannelAsync(CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true } open && _publisher is { IsOpen: true })
        {
            return open;
        }

        if (_connection is null || !_connection.IsOpen)
        {
            if (_connection is not null)
            {
                await DisposeConnectionAsync().ConfigureAwait(false);
            }

            var factory = new ConnectionFactory
            {
                Uri = settings.Url,
                AutomaticRecoveryEnabled = true,
                TopologyRecoveryEnabled = true,
                NetworkRecoveryInterval = TimeSpan.FromSeconds(2),
                ClientProvidedName = "acaso-mail",
            };
            _connection = await factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
            _connection.ConnectionShutdownAsync += (_, args) =>
            {
                if (_closing)
                {
                    return Task.CompletedTask;
                }

                logger.LogWarning("RabbitMQ connection lost ({ReplyCode} {ReplyText}); recovering", args.ReplyCode, args.ReplyText);
                return Task.CompletedTask;
            };
            _connection.RecoverySucceededAsync += (_, _) =>
            {
                logger.LogInformation("RabbitMQ connection recovered");
                return Task.CompletedTask;
            };
            logger.LogInformation("Connected to RabbitMQ at {BrokerUrl}", settings.SafeUrl);
        }

        // Delivery tags of a closed channel mean nothing on a new one: the broker requeued those messages.
        _unacked.Clear();
        if (_channel is not null)
        {
            await _channel.DisposeAsync().ConfigureAwait(false);
        }

        if (_publisher is not null)
        {
            await _publisher.DisposeAsync().ConfigureAwait(false);
        }

        _channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        _publisher = await _connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
            cancellationToken).ConfigureAwait(false);
        await DeclareAsync(cancellationToken).ConfigureAwait(false);
        await OnChannelOpenedAsync(_channel, cancellationToken).ConfigureAwait(false);
        return _channel;
    }

    private async Task DeclareAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _channel!.QueueDeclareAsync(settings.Name, durable: settings.Durable, exclusive: false, autoDelete: false,
                arguments: QueueArguments(settings), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 406)
        {
            throw new QueueDeclarationMismatchException(
                $"queue '{settings.Name}' exists on the broker with another declaration than ours " +
                $"(durable={settings.Durable.ToString().ToLowerInvariant()}, exclusive=false, auto_delete=false, x-max-priority={settings.MaxPriority}); " +
                $"the broker said: {e.ShutdownReason.ReplyText}. Set MAIL_QUEUE_DURABLE / MAIL_QUEUE_MAX_PRIORITY to match it.", e);
        }

        await _publisher!.QueueDeclareAsync(settings.DeadLetterQueue, durable: true, exclusive: false, autoDelete: false,
            arguments: null, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private async Task DisposeConnectionAsync()
    {
        foreach (var closable in new IAsyncDisposable?[] { _channel, _publisher, _connection })
        {
            if (closable is not null)
            {
                try
                {
                    await closable.DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationInterruptedException or AlreadyClosedException or ObjectDisposedException)
                {
                    // Closing what is already closed: nothing to keep.
                }
            }
        }

        _channel = null;
        _publisher = null;
        _connection = null;
    }

    /// <inheritdoc />
    public virtual async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            // Unacked messages return to the queue when the channel closes.
            _closing = true;
            _unacked.Clear();
            await DisposeConnectionAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }
}
