using Acaso.Mail.Actors.Settings;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Acaso.Mail.Actors.Queue.Broker;

/// <summary>
/// Moves each mail, as soon as it is published, from the producer's queue (declared exactly as the contract says) into
/// the service's durable priority queue <see cref="QueueSettings.Inbox"/>: the same body bytes and priority (so the same
/// idempotency key), published persistent with publisher confirms, and the original acked only once the broker has the
/// copy. A copy that cannot be confirmed in time (and not because the broker blocks publishers: then it waits for the
/// unblock) leaves the original unacked; the broker requeues it when the connection is dropped. An original delivered again (the service died between the copy's confirm and the ack) may already be in
/// the inbox: its copy carries <see cref="MovedAgainHeader"/>, so the reader looks it up in the sent ledger before it
/// sends. It consumes all the time, not only in windows: a mail waits in the producer's (non-durable) queue for
/// milliseconds, not hours.
/// </summary>
public sealed class InboxMover(QueueSettings settings, ILogger logger) : IAsyncDisposable
{
    /// <summary>The header on a copy whose original was delivered to the mover more than once.</summary>
    public const string MovedAgainHeader = "x-acaso-moved-again";

    // The producer's queue is drained far faster than any window takes: a modest prefetch keeps the confirms flowing.
    private const ushort Prefetch = 128;

    // Copies in flight at once: each waits for its own confirm, so several overlap the broker's disk writes. The order of
    // the copies does not matter: the inbox is a priority queue and sorts them again.
    private const ushort Concurrency = 32;

    private readonly BrokerConnection _broker = new(settings, "acaso-mail-inbox-mover", logger, Concurrency);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _moved;
    private volatile string? _failure;

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

            await _broker.EnsureOpenAsync(StartAsync, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task StartAsync(IChannel channel, IChannel publisher, CancellationToken cancellationToken)
    {
        await channel.QueueDeclareAsync(settings.Name, durable: settings.Durable, exclusive: false, autoDelete: false,
            arguments: RabbitMailQueue.QueueArguments(settings), cancellationToken: cancellationToken).ConfigureAwait(false);
        await publisher.QueueDeclareAsync(settings.Inbox, durable: true, exclusive: false, autoDelete: false,
            arguments: RabbitMailQueue.QueueArguments(settings), cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.BasicQosAsync(0, Prefetch, false, cancellationToken).ConfigureAwait(false);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) => MoveAsync(channel, publisher, delivery);
        await channel.BasicConsumeAsync(settings.Name, autoAck: false, consumer, cancellationToken).ConfigureAwait(false);
    }

    private async Task MoveAsync(IChannel channel, IChannel publisher, BasicDeliverEventArgs delivery)
    {
        if (_failure is not null)
        {
            // This connection is about to be dropped: leave the original to the broker's requeue.
            return;
        }

        var properties = new BasicProperties(delivery.BasicProperties) { Persistent = true };
        if (delivery.Redelivered)
        {
            var headers = properties.Headers is null ? new Dictionary<string, object?>() : new Dictionary<string, object?>(properties.Headers);
            headers[MovedAgainHeader] = 1;
            properties.Headers = headers;
        }

        using var stuck = new CancellationTokenSource();
        var watch = WatchAsync(stuck);
        try
        {
            // With publisher confirms on, this returns once the broker has the copy (on disk: it is persistent in a durable queue).
            await publisher.BasicPublishAsync("", settings.Inbox, mandatory: true, properties, delivery.Body, stuck.Token).ConfigureAwait(false);
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, stuck.Token).ConfigureAwait(false);
            Interlocked.Increment(ref _moved);
        }
        catch (Exception e) when (e is OperationCanceledException or RabbitMQ.Client.Exceptions.AlreadyClosedException
                                      or RabbitMQ.Client.Exceptions.OperationInterruptedException or RabbitMQ.Client.Exceptions.PublishException)
        {
            _failure = e is OperationCanceledException
                ? $"a copy was not confirmed within {settings.Timeout.TotalSeconds:0.#} s"
                : $"a copy failed: {e.Message}";
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
        await _broker.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }
}
