using System.Globalization;

namespace Acaso.Mail.Actors.Budget;

/// <summary>
/// A token in flight as the daily keeper keeps it, under its key (the reader's full path with its incarnation, and the
/// reservation's tag). <paramref name="Sending"/>: the reader has said the send may reach Brevo
/// (<see cref="BudgetProtocol.Spending"/>), so should the reader go away unsettled the token counts as spent; before
/// that it returns to <paramref name="Window"/> (or to the coming window when <paramref name="Borrowed"/>).
/// <paramref name="Day"/>: the budget day that lent it; a lease of an earlier day no longer counts against today.
/// <paramref name="Mail"/>: the idempotency key of the mail it is spending on; <paramref name="Superseded"/>: another
/// send of that mail was Brevo's first (accepted, not a duplicate), so this one's was not charged.
/// </summary>
public sealed record KeeperLease(long Window, bool Borrowed, DateOnly Day, bool Sending = false, Guid? Mail = null, bool Superseded = false)
{
    /// <summary>Counts as spent should its reader go away unsettled.</summary>
    public bool MayBeCharged => Sending && !Superseded;

    /// <summary>The journal's text for a lease: <c>key|window|borrowed|sending|day|mail|superseded</c>.</summary>
    public static string Format(string key, KeeperLease lease) =>
        string.Join('|', key, lease.Window.ToString(CultureInfo.InvariantCulture), lease.Borrowed ? "1" : "0", lease.Sending ? "1" : "0",
            lease.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), lease.Mail?.ToString("D") ?? "", lease.Superseded ? "1" : "0");

    /// <summary>
    /// Reads <see cref="Format"/>'s text, or a bare key as journals before it wrote them: such a lease is taken as of
    /// <paramref name="window"/> and <paramref name="day"/>, and as sending (the older keeper counted every unsettled
    /// lease it inherited as spent, and so does this one for those).
    /// </summary>
    public static (string Key, KeeperLease Lease) Parse(string text, long window, DateOnly day)
    {
        var parts = text.Split('|');
        if (parts.Length != 7)
        {
            return (text, new KeeperLease(window, Borrowed: false, day, Sending: true));
        }

        return (parts[0], new KeeperLease(long.Parse(parts[1], CultureInfo.InvariantCulture), parts[2] == "1",
            DateOnly.ParseExact(parts[4], "yyyy-MM-dd", CultureInfo.InvariantCulture), parts[3] == "1",
            parts[5].Length > 0 ? Guid.Parse(parts[5]) : null, parts[6] == "1"));
    }

    /// <summary>The reader part of a lease key.</summary>
    public static string ReaderOf(string key) => key[..key.LastIndexOf(' ')];
}
