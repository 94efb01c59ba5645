using Acaso.Mail.Actors.Settings;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Acaso.Mail.Actors.Queue.Broker;

/// <summary>The queue exists on the broker with another declaration than ours (PRECONDITION_FAILED).</summary>
public sealed class QueueDeclarationMismatchException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// The queue every take reads (<see cref="QueueSettings.ReadQueue"/>: the durable inbox, or the producer's queue when the
/// inbox is off) on a real RabbitMQ (RabbitMQ.Client 7), with manual acks: an unacked message returns to the queue when
/// the connection drops or the service dies. Dead letters are published persistent, with publisher confirms, before
/// the original is acked, so none is lost between. Every broker operation has the operation timeout of a
/// <see cref="BrokerConnection"/>; a message taken on a connection that has since been dropped is not settled (the
/// broker has requeued it). How a take gets its message is the mode's: <see cref="RabbitPullQueue"/> (daily mode, one
/// <c>basic.get</c> a take) or <see cref="RabbitConsumerQueue"/> (unlimited mode, a consumer with a prefetch).
/// </summary>
public abstract class RabbitMailQueue : IMailQueue
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    // By the reader's tag (our own, unique across connections): the connection incarnation and the broker's tag.
    private readonly Dictionary<ulong, (int Incarnation, BasicGetResult Result)> _unacked = [];
    private readonly BrokerConnection _broker;
    private ulong _nextTag;

    /// <summary>Creates the queue; nothing connects until the first operation.</summary>
    protected RabbitMailQueue(QueueSettings settings, ILogger logger)
    {
        Settings = settings;
        Logger = logger;
        _broker = new BrokerConnection(settings, "acaso-mail", logger);
    }

    /// <summary>The queue's settings.</summary>
    protected QueueSettings Settings { get; }

    /// <summary>The log of this queue.</summary>
    protected ILogger Logger { get; }

    /// <summary>The confirm channel (also used for passive questions), when connected.</summary>
    protected IChannel? Publisher => _broker.Publisher;

    /// <inheritdoc />
    public string? Blocked => _broker.Blocked;

    /// <summary>The producer's queue arguments: exactly the contract's by default.</summary>
    public static Dictionary<string, object?> QueueArguments(QueueSettings settings) =>
        new() { ["x-max-priority"] = settings.MaxPriority };

    /// <inheritdoc />
    public async Task<uint> ProbeAsync(CancellationToken cancellationToken = default) =>
        await WithChannelAsync(channel => _broker.RunAsync(token => channel.MessageCountAsync(Settings.ReadQueue, token), cancellationToken),
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<QueueMessage?> TakeAsync(CancellationToken cancellationToken = default)
    {
        if (await NextAsync(cancellationToken).ConfigureAwait(false) is not var (result, remaining))
        {
            return null;
        }

        ulong tag;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            tag = ++_nextTag;
            _unacked[tag] = (_broker.Incarnation, result);
        }
        finally
        {
            _gate.Release();
        }

        return new QueueMessage(tag, result.Body.ToArray(), result.BasicProperties.Priority, result.Redelivered || InboxMover.IsMovedAgain(result.BasicProperties),
            remaining, result.BasicProperties.IsPriorityPresent());
    }

    /// <summary>The next message and how many the broker still holds, or null when there is none now.</summary>
    protected abstract Task<(BasicGetResult Result, uint Remaining)?> NextAsync(CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="action"/> on the open channel (connecting first when needed), alone.</summary>
    protected async Task<T> WithChannelAsync<T>(Func<IChannel, Task<T>> action, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (await _broker.EnsureOpenAsync(DeclareAsync, cancellationToken).ConfigureAwait(false))
            {
                // Tags of a dropped connection mean nothing on the new one: the broker requeued those messages.
                _unacked.Clear();
                await _broker.RunAsync(async token =>
                {
                    await OnChannelOpenedAsync(_broker.Channel!, token).ConfigureAwait(false);
                    return true;
                }, cancellationToken).ConfigureAwait(false);
            }

            return await action(_broker.Channel!).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Runs a broker operation within the operation timeout (see <see cref="BrokerConnection.RunAsync{T}"/>).</summary>
    protected Task<T> TimedAsync<T>(Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken) =>
        _broker.RunAsync(operation, cancellationToken);

    /// <summary>Called on each new channel, after the declarations (a consumer starts here).</summary>
    protected virtual Task OnChannelOpenedAsync(IChannel channel, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task AckAsync(QueueMessage message) =>
        SettleAsync(message, (channel, tag, token) => channel.BasicAckAsync(tag, multiple: false, token));

    /// <inheritdoc />
    public Task RequeueAsync(QueueMessage message) =>
        SettleAsync(message, (channel, tag, token) => channel.BasicNackAsync(tag, multiple: false, requeue: true, token));

    /// <inheritdoc />
    public async Task DeadLetterAsync(QueueMessage message, string reason, string detail)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!_unacked.TryGetValue(message.DeliveryTag, out var held) || held.Incarnation != _broker.Incarnation || !_broker.IsOpen)
            {
                _unacked.Remove(message.DeliveryTag);
                throw new BrokerUnavailableException("the connection that took the message is gone: the broker has requeued it");
            }

            var original = held.Result;
            var properties = new BasicProperties(original.BasicProperties);
            var headers = properties.Headers is null ? new Dictionary<string, object?>() : new Dictionary<string, object?>(properties.Headers);
            headers.Remove(InboxMover.MovedAgainHeader);
            headers["x-acaso-reason"] = reason;
            headers["x-acaso-detail"] = detail.Length > 1000 ? detail[..1000] : detail;
            headers["x-acaso-dead-lettered-at"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            headers["x-acaso-original-queue"] = Settings.Name;
            properties.Headers = headers;
            properties.Priority = original.BasicProperties.Priority;
            // The producer publishes transient messages; a dead letter must survive a broker restart.
            properties.Persistent = true;

            await _broker.RunAsync(async token =>
            {
                // With publisher confirms on, this returns once the broker has the copy.
                await _broker.Publisher!.BasicPublishAsync("", Settings.DeadLetterQueue, mandatory: true, properties, original.Body, token).ConfigureAwait(false);
                await _broker.Channel!.BasicAckAsync(original.DeliveryTag, multiple: false, token).ConfigureAwait(false);
                return true;
            }, CancellationToken.None).ConfigureAwait(false);
            _unacked.Remove(message.DeliveryTag);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task SettleAsync(QueueMessage message, Func<IChannel, ulong, CancellationToken, ValueTask> settle)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!_unacked.Remove(message.DeliveryTag, out var held) || held.Incarnation != _broker.Incarnation || _broker.Channel is not { IsOpen: true } channel)
            {
                // The connection that took it is gone: the broker has already requeued the message.
                return;
            }

            try
            {
                // An ack or a nack waits for no answer (the socket's write timeout bounds it): no timer a message on the hot path.
                await settle(channel, held.Result.DeliveryTag, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException or IOException)
            {
                await _broker.DropAsync().ConfigureAwait(false);
                throw new BrokerUnavailableException($"RabbitMQ is unreachable: {e.GetBaseException().Message}", e);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task DeclareAsync(IChannel channel, IChannel publisher, CancellationToken cancellationToken)
    {
        var (name, durable) = Settings.DurableInbox ? (Settings.Inbox, true) : (Settings.Name, Settings.Durable);
        try
        {
            await channel.QueueDeclareAsync(name, durable: durable, exclusive: false, autoDelete: false,
                arguments: QueueArguments(Settings), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 406)
        {
            throw new QueueDeclarationMismatchException(
                $"queue '{name}' exists on the broker with another declaration than ours " +
                $"(durable={durable.ToString().ToLowerInvariant()}, exclusive=false, auto_delete=false, x-max-priority={Settings.MaxPriority}); " +
                $"the broker said: {e.ShutdownReason.ReplyText}. Set MAIL_QUEUE_DURABLE / MAIL_QUEUE_MAX_PRIORITY to match it.", e);
        }

        await publisher.QueueDeclareAsync(Settings.DeadLetterQueue, durable: true, exclusive: false, autoDelete: false,
            arguments: null, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public virtual async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            // Unacked messages return to the queue when the connection closes.
            _unacked.Clear();
            await _broker.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }

        GC.SuppressFinalize(this);
    }
}
