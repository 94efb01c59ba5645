namespace Acaso.Mail.Actors.Budget;

/// <summary>
/// The leases an earlier incarnation of the keeper lent (perhaps on a node that died), found in the books at recovery.
/// Not journaled: every recovery finds them again. A reader that lives settles its own; the rest are written off as
/// spent by the first window that closes once <see cref="Grace"/> has passed since the take-over (the send may have
/// reached Brevo before its node died; the shared ledger stops a second send of the same mail).
/// </summary>
public sealed class OrphanLeases
{
    /// <summary>
    /// How long after a take-over the tokens lent before it are waited for: a surviving reader sends its settle again
    /// every 5 s until it is acknowledged.
    /// </summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    private readonly HashSet<string> _keys = [];
    private DateTimeOffset _since;

    /// <summary>The keeper took over at <paramref name="now"/> with <paramref name="keys"/> out; returns the readers that hold them.</summary>
    public IReadOnlyList<string> TakeOver(IEnumerable<string> keys, DateTimeOffset now)
    {
        var taken = keys.ToList();
        _keys.UnionWith(taken);
        _since = now;
        return taken.Select(KeeperLease.ReaderOf).Distinct().ToList();
    }

    /// <summary>These leases were settled, by their reader or by the keeper.</summary>
    public void Settled(IEnumerable<string> keys) => _keys.ExceptWith(keys);

    /// <summary>The leases to write off as a window closes at <paramref name="now"/>: none until the grace is over, then all at once.</summary>
    public IReadOnlyList<string> DueAt(DateTimeOffset now)
    {
        if (_keys.Count == 0 || now - _since < Grace)
        {
            return [];
        }

        var due = _keys.ToList();
        _keys.Clear();
        return due;
    }
}
