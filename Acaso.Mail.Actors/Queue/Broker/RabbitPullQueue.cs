using Acaso.Mail.Actors.Settings;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;

namespace Acaso.Mail.Actors.Queue.Broker;

/// <summary>
/// Daily mode's queue: one <c>basic.get</c> a take and never a prefetch, so every take gets the head of RabbitMQ's
/// priority order as it is at that moment; mail published later but more urgent is never stuck behind mail already
/// handed to the service.
/// </summary>
public sealed class RabbitPullQueue(QueueSettings settings, ILogger<RabbitPullQueue> logger) : RabbitMailQueue(settings, logger)
{
    /// <inheritdoc />
    protected override Task<(BasicGetResult Result, uint Remaining)?> NextAsync(CancellationToken cancellationToken) =>
        WithChannelAsync(channel => TimedAsync<(BasicGetResult, uint)?>(async token =>
            await channel.BasicGetAsync(Settings.ReadQueue, autoAck: false, token).ConfigureAwait(false) is { } result
                ? (result, result.MessageCount)
                : null, cancellationToken), cancellationToken);
}
