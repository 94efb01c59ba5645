using Acaso.Mail.Actors.Contract;

namespace Acaso.Mail.Actors.Queue;

/// <summary>What happened to mail, published on the actor system's event stream for the Metrics actor.</summary>
public static class MailEvents
{
    /// <summary>A mail was taken from the queue (each delivery, redeliveries included).</summary>
    public sealed record Taken(byte Priority, bool Redelivered);

    /// <summary>Brevo accepted a mail (or refused a repeat of its idempotency key: an earlier attempt went through).</summary>
    public sealed record Sent(MailTemplate Template, byte Priority, TimeSpan Latency, int Attempts, bool WasDuplicate);

    /// <summary>A send ended without success. <paramref name="Requeued"/>: the mail went back to the queue for a later window.</summary>
    public sealed record SendFailed(MailTemplate Template, byte Priority, string Reason, bool Requeued);

    /// <summary>A mail went to the dead-letter queue with <paramref name="Reason"/>.</summary>
    public sealed record DeadLettered(string Reason, byte Priority);

    /// <summary>A send attempt failed and is being retried.</summary>
    public sealed record SendRetried(string Reason);

    /// <summary>The broker connection came up or went down.</summary>
    public sealed record BrokerConnection(bool Connected, string? Detail);
}
