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

    /// <summary>The reader part of a lease key.</summary>
    public static string ReaderOf(string key) => key[..key.LastIndexOf(' ')];
}
