using System.Collections.Immutable;
using System.Globalization;

namespace Acaso.Mail.Actors.Budget;

/// <summary>
/// The keeper's snapshot as <c>budget-state-v1</c> writes it: each lease a line of text,
/// <c>key|window|borrowed|sending|day|mail|superseded</c>. <see cref="BudgetSerializer"/> turns it into a
/// <see cref="KeeperBook"/> and back at the journal's edge, so the keeper only ever sees typed leases. Builds before
/// 1.4.0 journaled it whole on every change (and 2f98441 through Newtonsoft, naming this CLR type, which must keep its
/// name and namespace): recovery still reads such rows, the last one winning, and replays the events written after.
/// This release still writes v1, so a 1.4.0 node can take the keeper over in a rolling upgrade or a rollback; it reads
/// <c>budget-state-v2</c> (typed leases) too, which the next release can then write.
/// </summary>
/// <param name="Day">The budget day in the configured zone.</param>
/// <param name="Spent">Tokens charged on <paramref name="Day"/>.</param>
/// <param name="Window">The open window's id (0 before the first tick).</param>
/// <param name="WindowGranted">Tokens the open window granted.</param>
/// <param name="WindowUsed">Tokens of the open window reserved or spent.</param>
/// <param name="Borrowed">Tokens urgent mail borrowed from coming hourly windows.</param>
/// <param name="WindowRepaid">Tokens of the open window that paid back earlier borrowing.</param>
/// <param name="Leases">The tokens in flight, a line of text each; journals before the text carried more held the bare key.</param>
/// <param name="Orphans">
/// Written empty since 1.4.0 (a recovery takes every lease it finds as lent by another incarnation); builds before it
/// wrote the leases in flight when their keeper took over.
/// </param>
/// <param name="WrittenOff">
/// Today's mails (idempotency keys) whose send was counted spent when its reader went away unsettled: should another
/// send of one be Brevo's first after all, the write-off is taken back.
/// </param>
public sealed record BudgetKeeperState(DateOnly Day, int Spent, long Window, int WindowGranted, int WindowUsed, int Borrowed, int WindowRepaid,
    string[]? Leases = null, string[]? Orphans = null, string[]? WrittenOff = null)
{
    /// <summary>The v1 text of <paramref name="book"/>.</summary>
    public static BudgetKeeperState From(KeeperBook book) =>
        new(book.Day, book.Spent, book.Window, book.WindowGranted, book.WindowUsed, book.Borrowed, book.WindowRepaid,
            [.. book.Leases.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => LeaseText(l.Key, l.Value))], [],
            [.. book.WrittenOff.Select(k => k.ToString("D")).Order(StringComparer.Ordinal)]);

    /// <summary>The books this row holds.</summary>
    public KeeperBook ToBook() =>
        new(Day, Spent, Window, WindowGranted, WindowUsed, Borrowed, WindowRepaid,
            (Leases ?? []).Select(ParseLease).ToImmutableDictionary(l => l.Key, l => l.Lease),
            [.. (WrittenOff ?? []).Select(Guid.Parse)]);

    /// <summary>A lease's line of text: <c>key|window|borrowed|sending|day|mail|superseded</c>.</summary>
    public static string LeaseText(string key, KeeperLease lease) =>
        string.Join('|', key, lease.Window.ToString(CultureInfo.InvariantCulture), lease.Borrowed ? "1" : "0", lease.Sending ? "1" : "0",
            lease.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), lease.Mail?.ToString("D") ?? "", lease.Superseded ? "1" : "0");

    /// <summary>
    /// Reads <see cref="LeaseText"/>'s line, or a bare key as journals before it wrote them: such a lease is taken as of
    /// the row's window and day, and as sending (the older keeper counted every unsettled lease it inherited as spent).
    /// </summary>
    private (string Key, KeeperLease Lease) ParseLease(string text)
    {
        var parts = text.Split('|');
        if (parts.Length != 7)
        {
            return (text, new KeeperLease(Window, Borrowed: false, Day, Sending: true));
        }

        return (parts[0], new KeeperLease(long.Parse(parts[1], CultureInfo.InvariantCulture), parts[2] == "1",
            DateOnly.ParseExact(parts[4], "yyyy-MM-dd", CultureInfo.InvariantCulture), parts[3] == "1",
            parts[5].Length > 0 ? Guid.Parse(parts[5]) : null, parts[6] == "1"));
    }
}
