namespace Acaso.Mail.Actors.Budget;

/// <summary>
/// Takes under way, so a reader's look between windows does not meet another reader's take. A look holds the queue
/// head for a moment (a mail that is not urgent goes straight back); a take on another node in that moment gets the
/// next mail, and the window's most urgent one waits for the next window. So while another reader holds a lease whose
/// mail it has not yet said is being sent (<see cref="BudgetProtocol.Spending"/>), the keeper answers a look's question
/// with <see cref="BudgetProtocol.UrgentCapacity.Busy"/>, and the asker looks again a moment later. The asker's own
/// leases never count (its takes and looks are one at a time), and a lease older than <see cref="HeldAtMost"/> no
/// longer does (a take is a single <c>basic.get</c>; a mail held longer is held by its stores, not by the queue).
/// This is not budget: it is not journaled, and a new keeper starts with none.
/// </summary>
public sealed class TakesUnderWay
{
    /// <summary>How long a lease may keep other readers from looking, at most.</summary>
    public static readonly TimeSpan HeldAtMost = TimeSpan.FromSeconds(5);

    // When each lease was granted, by key. Whether it is still a take is read off the books when a look asks.
    private readonly Dictionary<string, DateTimeOffset> _granted = [];

    /// <summary>The lease <paramref name="key"/> was granted at <paramref name="now"/>: its take begins.</summary>
    public void Started(string key, DateTimeOffset now) => _granted[key] = now;

    /// <summary>Another reader than <paramref name="reader"/> (a serialized actor path) is taking from the queue now.</summary>
    public bool ElsewhereThan(string reader, KeeperBook books, DateTimeOffset now)
    {
        foreach (var (key, granted) in _granted.ToList())
        {
            // Settled, released, sending or held too long: no longer a take.
            if (!books.Leases.TryGetValue(key, out var lease) || lease.Sending || now - granted > HeldAtMost)
            {
                _granted.Remove(key);
            }
        }

        return _granted.Keys.Any(key => KeeperLease.ReaderOf(key) != reader);
    }
}
