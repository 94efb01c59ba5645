using Acaso.Mail.Actors.Contract;

namespace Acaso.Mail.Actors.Events;

/// <summary>
/// What happened to mail and to the budget, published on the actor system's event stream. Every role publishes
/// here and the Metrics actor only listens, so no role has to import another to be observed.
/// </summary>
public static class MailEvents
{
    /// <summary>A mail was taken from the queue (each delivery, redeliveries included).</summary>
    public sealed record Taken(byte Priority, bool Redelivered);

    /// <summary>Brevo accepted a mail (or refused a repeat of its idempotency key: an earlier attempt went through).</summary>
    /// <param name="Template">Its template.</param>
    /// <param name="Priority">Its AMQP priority.</param>
    /// <param name="Latency">From the first attempt to acceptance.</param>
    /// <param name="Attempts">HTTP attempts made.</param>
    /// <param name="WasDuplicate">Brevo refused a repeat of its key: an earlier attempt went through.</param>
    /// <param name="Urgent">Its priority is at or above the urgent threshold.</param>
    /// <param name="Borrowed">It went out on a token borrowed from the coming window.</param>
    /// <param name="QueueWait">From the first time the service saw it to its send (the producer sets no timestamp).</param>
    public sealed record Sent(MailTemplate Template, byte Priority, TimeSpan Latency, int Attempts, bool WasDuplicate,
        bool Urgent = false, bool Borrowed = false, TimeSpan QueueWait = default);

    /// <summary>A redelivered mail whose key Brevo had already accepted (the service died before the ack): acked, not sent again.</summary>
    public sealed record AlreadySent(byte Priority);

    /// <summary>What a take saw at the head of the queue: its priority (null when empty) and the queue's depth then.</summary>
    public sealed record QueueHead(byte? Priority, uint Depth);

    /// <summary>A send ended without success. <paramref name="Requeued"/>: the mail went back to the queue for a later window.</summary>
    public sealed record SendFailed(MailTemplate Template, byte Priority, string Reason, bool Requeued, bool Urgent = false);

    /// <summary>A mail went to the dead-letter queue with <paramref name="Reason"/>.</summary>
    public sealed record DeadLettered(string Reason, byte Priority);

    /// <summary>A send attempt failed and is being retried.</summary>
    public sealed record SendRetried(string Reason);

    /// <summary>The broker connection came up or went down; <paramref name="Detail"/> says why it is down.</summary>
    public sealed record BrokerConnection(bool Connected, string? Detail);

    /// <summary>The broker blocks (<paramref name="Reason"/>: a memory or disk alarm) or unblocks (null) the publishes of <paramref name="Source"/>'s connection.</summary>
    public sealed record BrokerBlocked(string Source, string? Reason);

    /// <summary>Brevo's webhook reported a delivery event (<c>unknown</c> for a name not known here), of a mail of <paramref name="Template"/> if known.</summary>
    public sealed record DeliveryReported(string Event, int? Template);

    /// <summary>A mail to a suppressed address was dead-lettered before any token or Brevo call; <paramref name="Reason"/> is why the address is suppressed.</summary>
    public sealed record Suppressed(string Reason);

    /// <summary>The inbox mover moved <paramref name="Count"/> mails from the producer's queue into the durable inbox.</summary>
    public sealed record MovedToInbox(int Count);

    /// <summary>
    /// The inbox mover has just put <paramref name="Count"/> urgent mails (the most urgent at <paramref name="Priority"/>)
    /// into the durable inbox: the node's reader looks for them now instead of at a poll.
    /// </summary>
    public sealed record UrgentMoved(byte Priority, int Count);

    /// <summary>A budget window opened with <paramref name="Tokens"/> tokens; <paramref name="Kind"/> is <c>hourly</c> or <c>end_of_day</c>.</summary>
    public sealed record TokensGranted(string Kind, int Tokens);

    /// <summary>The state's database answers (<paramref name="Up"/>) or not, and why not (never its password).</summary>
    public sealed record DatabaseHealth(bool Up, string? Detail);

    /// <summary>The budget keeper started (true) or stopped (false) on this node: in a cluster, it runs on one node at a time.</summary>
    public sealed record KeeperHere(bool Here);

    /// <summary>
    /// The cluster as this node sees it: <paramref name="Members"/> Up and reachable; <paramref name="Joined"/>, this
    /// node is Up; <paramref name="Problem"/>, why the node should not count as ready (null when none).
    /// </summary>
    public sealed record ClusterChanged(int Members, bool Joined, string? Problem);

    /// <summary>The budget changed: what the day has spent and can still spend, the window's leftover, what urgent mail owes.</summary>
    public sealed record BudgetChanged(int Spent, int LeftToday, int WindowLeft, int Borrowed);
}
