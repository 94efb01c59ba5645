using Acaso.Mail.Actors.Settings;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Acaso.Mail.Actors.Queue.Broker;

/// <summary>
/// Moves each mail, as soon as it is published, from the producer's queue (declared exactly as the contract says) into
/// the service's durable priority queue <see cref="QueueSettings.Inbox"/>: the same body bytes and priority (so the same
/// idempotency key), published persistent with publisher confirms. The moves are pipelined: the mails delivered so far
/// (up to <see cref="MaxBatch"/>) are published together, their confirms awaited once, and the originals acked with one
/// <c>basic.ack multiple</c> up to the batch's last delivery tag, so an original is still acked only once the broker has
/// its copy. A copy that cannot be confirmed in time (and not because the broker blocks publishers: then it waits for
/// the unblock) leaves its batch unacked; the broker requeues it when the connection is dropped. An original delivered
/// again (the service died between a confirm and the ack) may already be in the inbox: its copy carries
/// <see cref="MovedAgainHeader"/>, so the reader looks it up in the sent ledger before it sends. Each batch that held urgent
/// mail (at or above <c>urgentPriority</c>) is told to <c>urgentMoved</c> once its copies are confirmed: the node's reader
/// takes it without polling. It consumes all the time, not only in windows: a mail waits in the producer's (non-durable)
/// queue for milliseconds, not hours.
/// </summary>
/// <param name="settings">The queues and the broker.</param>
/// <param name="logger">Where failures are said.</param>
/// <param name="urgentPriority">The urgent lane's threshold (<c>MAIL_URGENT_PRIORITY</c>; 256: none is urgent).</param>
/// <param name="urgentMoved">Told of each batch that held urgent mail (its highest priority and how many), once the batch is in the inbox.</param>
public sealed class InboxMover(QueueSettings settings, ILogger logger, int urgentPriority = 256, Action<byte, int>? urgentMoved = null) : IAsyncDisposable
{
    /// <summary>The header on a copy whose original was delivered to the mover more than once.</summary>
    public const string MovedAgainHeader = "x-acaso-moved-again";

    /// <summary>The most copies published before their confirms are awaited together.</summary>
    public const int MaxBatch = 128;

    // The producer's queue is drained far faster than any window takes: while one batch waits for its confirms, the next
    // is delivered.
    private const ushort Prefetch = 2 * MaxBatch;

    // Deliveries are handled one at a time, in order: a batch is then exactly the delivery tags since the last ack.
    private readonly BrokerConnection _broker = new(settings, "acaso-mail-inbox-mover", logger);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _moved;
    private volatile string? _failure;
    private CancellationTokenSource? _pipeline;

    /// <summary>True when a copy of <paramref name="properties"/>'s message may already be in the inbox.</summary>
    public static bool IsMovedAgain(IReadOnlyBasicProperties properties) => properties.Headers?.ContainsKey(MovedAgainHeader) == true;

    /// <summary>Mails moved so far.</summary>
    public long Moved => Interlocked.Read(ref _moved);

    /// <summary>Why the broker blocks the mover's publishes, or null.</summary>
    public string? Blocked => _broker.Blocked;

    /// <summary>
    /// Connects and starts consuming when not running, or drops a connection on which a copy failed and starts again.
    /// Throws <see cref="BrokerUnavailableException"/> when the broker cannot be reached.
    /// </summary>
    public async Task EnsureRunningAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_failure is { } failure)
            {
                // Dropped here, outside the consumer's callback: the broker requeues every original not yet acked.
                logger.LogWarning("The inbox mover starts again: {Reason}", failure);
                _failure = null;
                await _broker.DropAsync().ConfigureAwait(false);
            }

            if (!_broker.IsOpen)
            {
                // A connection dropped (here, or by itself) takes its pipeline with it: the new one gets its own.
                await StopPipelineAsync().ConfigureAwait(false);
            }

            await _broker.EnsureOpenAsync(StartAsync, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task StopPipelineAsync()
    {
        if (_pipeline is { } pipeline)
        {
            _pipeline = null;
            await pipeline.CancelAsync().ConfigureAwait(false);
            pipeline.Dispose();
        }
    }

    private async Task StartAsync(IChannel channel, IChannel publisher, CancellationToken cancellationToken)
    {
        await channel.QueueDeclareAsync(settings.Name, durable: settings.Durable, exclusive: false, autoDelete: false,
            arguments: RabbitMailQueue.QueueArguments(settings), cancellationToken: cancellationToken).ConfigureAwait(false);
        await publisher.QueueDeclareAsync(settings.Inbox, durable: true, exclusive: false, autoDelete: false,
            arguments: RabbitMailQueue.QueueArguments(settings), cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.BasicQosAsync(0, Prefetch, false, cancellationToken).ConfigureAwait(false);
        var delivered = System.Threading.Channels.Channel.CreateUnbounded<Copy>(new() { SingleReader = true, SingleWriter = true });
        _pipeline = new CancellationTokenSource();
        var stopped = _pipeline.Token;
        _ = Task.Run(() => MoveBatchesAsync(channel, publisher, delivered.Reader, stopped), CancellationToken.None);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            // The delivery's body is the client's buffer only during this callback: the copy takes its own bytes.
            delivered.Writer.TryWrite(new Copy(delivery.DeliveryTag, CopyProperties(delivery), delivery.Body.ToArray()));
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(settings.Name, autoAck: false, consumer, cancellationToken).ConfigureAwait(false);
    }

    private static BasicProperties CopyProperties(BasicDeliverEventArgs delivery)
    {
        var properties = new BasicProperties(delivery.BasicProperties) { Persistent = true };
        if (delivery.Redelivered)
        {
            var headers = properties.Headers is null ? new Dictionary<string, object?>() : new Dictionary<string, object?>(properties.Headers);
            headers[MovedAgainHeader] = 1;
            properties.Headers = headers;
        }

        return properties;
    }

    /// <summary>Publishes what has been delivered so far, awaits the confirms once, acks the originals with <c>multiple</c>; again.</summary>
    private async Task MoveBatchesAsync(IChannel channel, IChannel publisher, System.Threading.Channels.ChannelReader<Copy> delivered, CancellationToken stopped)
    {
        var batch = new List<Copy>(MaxBatch);
        try
        {
            while (_failure is null && await delivered.WaitToReadAsync(stopped).ConfigureAwait(false))
            {
                batch.Clear();
                while (batch.Count < MaxBatch && delivered.TryRead(out var copy))
                {
                    batch.Add(copy);
                }

                await MoveAsync(channel, publisher, batch, stopped).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopped.IsCancellationRequested)
        {
            // This connection was dropped: its unacked originals went back to the producer's queue.
        }
    }

    private async Task MoveAsync(IChannel channel, IChannel publisher, List<Copy> batch, CancellationToken stopped)
    {
        using var stuck = CancellationTokenSource.CreateLinkedTokenSource(stopped);
        var watch = WatchAsync(stuck);
        try
        {
            // With publisher confirms on, each publish completes once the broker has the copy (on disk: it is persistent in
            // a durable queue); started together, they share the broker's disk writes.
            var copies = new Task[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                copies[i] = publisher.BasicPublishAsync("", settings.Inbox, mandatory: true, batch[i].Properties, batch[i].Body, stuck.Token).AsTask();
            }

            await Task.WhenAll(copies).ConfigureAwait(false);
            await channel.BasicAckAsync(batch[^1].Tag, multiple: true, stuck.Token).ConfigureAwait(false);
            Interlocked.Add(ref _moved, batch.Count);
            var urgent = batch.Count(c => c.Properties.Priority >= urgentPriority);
            if (urgent > 0)
            {
                urgentMoved?.Invoke(batch.Max(c => c.Properties.Priority), urgent);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or RabbitMQ.Client.Exceptions.AlreadyClosedException
                                      or RabbitMQ.Client.Exceptions.OperationInterruptedException or RabbitMQ.Client.Exceptions.PublishException)
        {
            if (!stopped.IsCancellationRequested)
            {
                _failure = e is OperationCanceledException
                    ? $"a copy was not confirmed within {settings.Timeout.TotalSeconds:0.#} s"
                    : $"a copy failed: {e.Message}";
            }
        }
        finally
        {
            await stuck.CancelAsync().ConfigureAwait(false);
            await watch.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Cancels <paramref name="stuck"/> once a copy has waited the operation timeout while the broker did not say it blocks
    /// publishers. While it does (a memory or disk alarm), the copy waits for it to unblock: dropping the connection would
    /// not make the alarm pass, and the original is safe in the producer's queue meanwhile.
    /// </summary>
    private async Task WatchAsync(CancellationTokenSource stuck)
    {
        var waited = TimeSpan.Zero;
        var step = TimeSpan.FromMilliseconds(250);
        while (!stuck.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(step, stuck.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            waited = Blocked is null ? waited + step : TimeSpan.Zero;
            if (waited >= settings.Timeout)
            {
                await stuck.CancelAsync().ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopPipelineAsync().ConfigureAwait(false);
        await _broker.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    /// <summary>An original as delivered: its tag, and the copy's properties and bytes.</summary>
    private sealed record Copy(ulong Tag, BasicProperties Properties, byte[] Body);
}
