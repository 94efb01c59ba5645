namespace Acaso.Mail.Actors.Queue.Broker;

/// <summary>One message taken from the queue and not yet acknowledged.</summary>
/// <param name="DeliveryTag">The broker's tag for this delivery (unique per channel).</param>
/// <param name="Body">The exact bytes the producer published.</param>
/// <param name="Priority">The AMQP priority property (0 when absent).</param>
/// <param name="Redelivered">True when the broker delivered it before (after a requeue or a crash).</param>
/// <param name="Remaining">How many messages the broker still held when this one was taken.</param>
/// <param name="HasPriority">False when the message carried no priority property at all.</param>
public sealed record QueueMessage(ulong DeliveryTag, byte[] Body, byte Priority, bool Redelivered, uint Remaining, bool HasPriority = true);

/// <summary>
/// The queue as the reader sees it: take one message (basic.get, never a prefetch, so the broker's priority
/// order holds at every take), then settle it exactly once: ack, requeue, or dead-letter with a reason.
/// </summary>
public interface IMailQueue : IAsyncDisposable
{
    /// <summary>
    /// Asks the broker how many messages are ready (connecting and declaring first when needed), within the operation
    /// timeout: the reader's health probe. Throws when the broker cannot be reached or does not answer in time.
    /// </summary>
    Task<uint> ProbeAsync(CancellationToken cancellationToken = default);

    /// <summary>Why the broker blocks this connection's publishes (a memory or disk alarm), or null while it does not.</summary>
    string? Blocked { get; }

    /// <summary>Takes the head of the queue, or null when it is empty. Connects (and declares) when needed.</summary>
    Task<QueueMessage?> TakeAsync(CancellationToken cancellationToken = default);

    /// <summary>The message's outcome is final: remove it.</summary>
    Task AckAsync(QueueMessage message);

    /// <summary>Put the message back at its place in the priority order, for a later window.</summary>
    Task RequeueAsync(QueueMessage message);

    /// <summary>Copies the message (body and properties) to the dead-letter queue with its reason, then acks it.</summary>
    Task DeadLetterAsync(QueueMessage message, string reason, string detail);
}
