using System.Collections.Concurrent;

namespace Acaso.Mail.Actors.Queue.Taken;

/// <summary>
/// What the mails of one reader share, kept in the node's memory: when each mail was first seen (a requeued mail is
/// taken again by another actor, and its wait counts from the first take) and which keys Brevo accepted whose ledger
/// row is not written yet (a redelivery meanwhile, after the channel was lost, is not sent again). Each mail's actor
/// reads and writes it from its own thread.
/// </summary>
public sealed class TakenMailMemory
{
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _firstSeen = new();
    private readonly ConcurrentDictionary<Guid, byte> _unrecorded = new();

    /// <summary>Notes that the mail <paramref name="key"/> is going to be sent, if it was not noted before.</summary>
    public void Seen(Guid key, DateTimeOffset now) => _firstSeen.TryAdd(key, now);

    /// <summary>How long the mail waited since it was first seen (zero when it was not), and forgets it.</summary>
    public TimeSpan Waited(Guid key, DateTimeOffset now) => _firstSeen.TryRemove(key, out var seen) ? now - seen : TimeSpan.Zero;

    /// <summary>Forgets a mail that will not be sent (dead-lettered).</summary>
    public void Forget(Guid key) => _firstSeen.TryRemove(key, out _);

    /// <summary>Brevo accepted <paramref name="key"/>; its ledger row is being written.</summary>
    public void Accepted(Guid key) => _unrecorded.TryAdd(key, 0);

    /// <summary>The ledger row of <paramref name="key"/> is written.</summary>
    public void Recorded(Guid key) => _unrecorded.TryRemove(key, out _);

    /// <summary>Brevo accepted <paramref name="key"/> and its ledger row is not written yet.</summary>
    public bool AcceptedUnrecorded(Guid key) => _unrecorded.ContainsKey(key);
}
