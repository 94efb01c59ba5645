using System.Threading.Channels;
using Acaso.Mail.Actors.Settings;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Acaso.Mail.Actors.Queue.Broker;

/// <summary>
/// Unlimited mode's queue: a consumer with a prefetch of <paramref name="prefetch"/> (the send parallelism), so a
/// take reads the next delivery already on its way. Pacing no longer orders anything there, so throughput wins
/// over the exact order a take per message gives.
/// </summary>
public sealed class RabbitConsumerQueue(QueueSettings settings, ILogger<RabbitConsumerQueue> logger, int prefetch)
    : RabbitMailQueue(settings, logger)
{
    // How long a take waits for a delivery before it reports the queue empty.
    private static readonly TimeSpan EmptyWait = TimeSpan.FromMilliseconds(200);
    private Channel<BasicGetResult> _deliveries = Channel.CreateUnbounded<BasicGetResult>();
    // The broker's count of ready messages, asked at most once a second (a consumer's deliveries do not carry it,
    // as basic.get's answers do).
    private uint _ready;
    private long? _readyAskedAt;

    /// <inheritdoc />
    protected override async Task<(BasicGetResult Result, uint Remaining)?> NextAsync(CancellationToken cancellationToken)
    {
        var result = await WithChannelAsync(async _ =>
        {
            var delivered = _deliveries.Reader.TryRead(out var next) ? next : null;
            await RefreshReadyAsync(cancellationToken).ConfigureAwait(false);
            return delivered;
        }, cancellationToken).ConfigureAwait(false);

        if (result is null)
        {
            // Nothing buffered: wait briefly for the consumer rather than send the reader to its poll interval.
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(EmptyWait);
            try
            {
                result = await _deliveries.Reader.ReadAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return null;
            }
        }

        // What is still waiting: what the broker holds ready plus what it delivered here and no take has read yet.
        return (result, _ready + (uint)_deliveries.Reader.Count);
    }

    /// <inheritdoc />
    protected override async Task OnChannelOpenedAsync(IChannel channel, CancellationToken cancellationToken)
    {
        // Deliveries of a closed channel cannot be acked on a new one; the broker has requeued them.
        _deliveries = Channel.CreateUnbounded<BasicGetResult>();
        var deliveries = _deliveries;
        await channel.BasicQosAsync(0, (ushort)Math.Min(prefetch, ushort.MaxValue), false, cancellationToken).ConfigureAwait(false);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            // The body is only valid during this call: copy it.
            deliveries.Writer.TryWrite(new BasicGetResult(delivery.DeliveryTag, delivery.Redelivered, delivery.Exchange, delivery.RoutingKey, 0,
                new BasicProperties(delivery.BasicProperties), delivery.Body.ToArray()));
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(Settings.ReadQueue, autoAck: false, consumer, cancellationToken).ConfigureAwait(false);
    }

    private async Task RefreshReadyAsync(CancellationToken cancellationToken)
    {
        var now = Environment.TickCount64;
        if (now - _readyAskedAt < 1000 || Publisher is not { IsOpen: true } publisher)
        {
            return;
        }

        _readyAskedAt = now;
        try
        {
            _ready = await TimedAsync(token => publisher.MessageCountAsync(Settings.ReadQueue, token), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationInterruptedException or AlreadyClosedException or BrokerUnavailableException)
        {
            // Only the metric's depth is at stake: keep the last count; the next take reconnects if need be.
            Logger.LogDebug("Could not read the queue's depth: {Reason}", e.Message);
        }
    }
}
