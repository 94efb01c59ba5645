using Acaso.Mail.Actors.Settings;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Acaso.Mail.Actors.Queue.Broker;

/// <summary>The broker did not answer in time, or the connection is gone: the operation may be tried again on a new one.</summary>
public sealed class BrokerUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// One AMQP connection with two channels, a plain one (takes, acks) and one with publisher confirms, made on demand and
/// made again after any failure. Every operation through it has <see cref="QueueSettings.Timeout"/>: one that times out
/// (a silent partition, a broker that blocks publishers) drops the connection, so nothing waits for good and the next
/// operation connects afresh. Heartbeats of <see cref="QueueSettings.HeartbeatInterval"/> notice a dead peer even when
/// nothing is asked. There is no automatic recovery: a delivery tag of a dropped connection is never acked on a new one
/// (<see cref="Incarnation"/> tells them apart), and the broker requeues what the dropped connection held.
/// </summary>
/// <param name="settings">The broker, its heartbeat and the operation timeout.</param>
/// <param name="clientName">The name the broker shows for the connection.</param>
/// <param name="logger">The log.</param>
/// <param name="consumerConcurrency">How many deliveries a consumer on the plain channel handles at once (1: one at a time, in order).</param>
public sealed class BrokerConnection(QueueSettings settings, string clientName, ILogger logger, ushort consumerConcurrency = 1) : IAsyncDisposable
{
    private IConnection? _connection;
    private IChannel? _channel;
    private IChannel? _publisher;
    private volatile string? _blocked;

    /// <summary>Counts the connections made: a tag taken on an earlier incarnation is not ours to settle any more.</summary>
    public int Incarnation { get; private set; }

    /// <summary>The connection and both channels are open.</summary>
    public bool IsOpen => _connection is { IsOpen: true } && _channel is { IsOpen: true } && _publisher is { IsOpen: true };

    /// <summary>Why the broker blocks this connection's publishes (a memory or disk alarm), or null while it does not.</summary>
    public string? Blocked => _blocked;

    /// <summary>The plain channel, when open.</summary>
    public IChannel? Channel => _channel;

    /// <summary>The confirm channel, when open.</summary>
    public IChannel? Publisher => _publisher;

    /// <summary>A factory with this service's heartbeat, timeouts and name, without automatic recovery.</summary>
    public static ConnectionFactory Factory(QueueSettings settings, string clientName) => new()
    {
        Uri = settings.Url,
        ClientProvidedName = clientName,
        AutomaticRecoveryEnabled = false,
        TopologyRecoveryEnabled = false,
        RequestedHeartbeat = settings.HeartbeatInterval,
        RequestedConnectionTimeout = settings.Timeout,
        HandshakeContinuationTimeout = settings.Timeout,
        ContinuationTimeout = settings.Timeout,
        SocketReadTimeout = settings.Timeout,
        SocketWriteTimeout = settings.Timeout,
    };

    /// <summary>
    /// Opens the connection and channels when they are not open, then runs <paramref name="declare"/> on the new ones.
    /// Returns true when it made a new connection. Throws <see cref="BrokerUnavailableException"/> when it cannot.
    /// </summary>
    public async Task<bool> EnsureOpenAsync(Func<IChannel, IChannel, CancellationToken, Task> declare, CancellationToken cancellationToken)
    {
        if (IsOpen)
        {
            return false;
        }

        await DropAsync().ConfigureAwait(false);
        await RunAsync(async token =>
        {
            _connection = await Factory(settings, clientName).CreateConnectionAsync(token).ConfigureAwait(false);
            _connection.ConnectionBlockedAsync += OnBlockedAsync;
            _connection.ConnectionUnblockedAsync += OnUnblockedAsync;
            _channel = await _connection.CreateChannelAsync(
                new CreateChannelOptions(false, false, consumerDispatchConcurrency: consumerConcurrency), token).ConfigureAwait(false);
            _publisher = await _connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), token).ConfigureAwait(false);
            await declare(_channel, _publisher, token).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
        Incarnation++;
        logger.LogInformation("Connected to RabbitMQ at {BrokerUrl} ({Client})", settings.SafeUrl, clientName);
        return true;
    }

    /// <summary>Runs <paramref name="operation"/> within the operation timeout; a timeout or a broken connection drops it and throws <see cref="BrokerUnavailableException"/>.</summary>
    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.Timeout);
        try
        {
            return await operation(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            await DropAsync().ConfigureAwait(false);
            throw new BrokerUnavailableException($"RabbitMQ did not answer within {settings.Timeout.TotalSeconds:0.#} s" +
                                                 (_blocked is { } reason ? $" (it blocks publishers: {reason})" : ""), e);
        }
        catch (Exception e) when (e is AlreadyClosedException or BrokerUnreachableException or OperationInterruptedException { ShutdownReason.ReplyCode: not 404 and not 406 }
                                      or ConnectFailureException or System.Net.Sockets.SocketException or IOException)
        {
            await DropAsync().ConfigureAwait(false);
            throw new BrokerUnavailableException($"RabbitMQ is unreachable: {e.GetBaseException().Message}", e);
        }
    }

    /// <summary>
    /// Forgets the connection at once (the next operation connects again) and closes it in the background: on a silent
    /// partition a close waits for the socket to time out, and nothing should wait for that.
    /// </summary>
    public Task DropAsync()
    {
        var connection = _connection;
        _connection = null;
        _channel = null;
        _publisher = null;
        _blocked = null;
        if (connection is not null)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await connection.CloseAsync(Constants.ReplySuccess, "closing", TimeSpan.FromSeconds(1), abort: true).ConfigureAwait(false);
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationInterruptedException or AlreadyClosedException or ObjectDisposedException or IOException
                                              or OperationCanceledException or TimeoutException)
                {
                    // Closing what is already closed or cut off: nothing to keep.
                }
            });
        }

        return Task.CompletedTask;
    }

    private Task OnBlockedAsync(object sender, ConnectionBlockedEventArgs args)
    {
        _blocked = args.Reason;
        logger.LogWarning("RabbitMQ blocks publishers ({Reason}): publishes wait until it unblocks", args.Reason);
        return Task.CompletedTask;
    }

    private Task OnUnblockedAsync(object sender, AsyncEventArgs args)
    {
        _blocked = null;
        logger.LogInformation("RabbitMQ unblocked publishers");
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // At shutdown the close is awaited (within its own second), so unacked messages go back to the queue now.
        var connection = _connection;
        _connection = null;
        _channel = null;
        _publisher = null;
        if (connection is not null)
        {
            try
            {
                await connection.CloseAsync(Constants.ReplySuccess, "shutting down", TimeSpan.FromSeconds(2), abort: true).ConfigureAwait(false);
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationInterruptedException or AlreadyClosedException or ObjectDisposedException or IOException
                                          or OperationCanceledException or TimeoutException)
            {
                // Closing what is already closed or cut off: nothing to keep.
            }
        }
    }
}
