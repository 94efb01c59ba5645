using Akka.Event;
using static Acaso.Mail.Actors.Budget.BudgetProtocol;

namespace Acaso.Mail.Actors.Budget;

/// <summary>
/// What the keeper says in its log, one method per moment worth an operator's line: what changed in the books, read
/// off the books before and after (the counts, never a recipient or a key).
/// </summary>
internal static class KeeperLog
{
    public static void DayBegan(ILoggingAdapter log, KeeperEvents.DayBegan began, KeeperBook ended) =>
        log.Info("A new day ({Day}) begins: {Spent} were spent on {PreviousDay}", began.Day, ended.Spent, ended.Day);

    public static void WindowOpened(ILoggingAdapter log, KeeperBook book, WindowKind kind, int limit) =>
        log.Info("Window {Window} ({Kind}) opens with {Tokens} tokens; {Spent} spent today, {InFlight} in flight, limit {Limit}",
            book.Window, kind, book.WindowGranted, book.Spent, book.InFlight, limit);

    public static void TakingOver(ILoggingAdapter log, KeeperBook book) =>
        log.Info("Taking over the budget: window {Window}, {Spent} spent today, {InFlight} tokens in flight",
            book.Window, book.Spent, book.Leases.Count);

    /// <summary>
    /// The start's cross-check: the count imported from <c>budget.db</c>, and Brevo winning when it charged more than the
    /// books (<paramref name="imported"/>, after the import) say: a lost database, or another sender on the account.
    /// </summary>
    public static void CheckedAtStart(ILoggingAdapter log, CreditsAtStart read, KeeperBook imported, KeeperBook after)
    {
        if (read.Imported is > 0)
        {
            log.Info("{Spent} mails were already charged today ({Day}): the day goes on from there", read.Imported, read.Day);
        }

        if (after.Day == read.Day && after.Spent != imported.Spent)
        {
            log.Info("Brevo reports {Credits} credits left with {InFlight} sends under way: counting {Charged} charged today instead of {Spent}",
                read.Credits, after.InFlight, after.Spent, imported.Spent);
        }
    }

    /// <summary>The end-of-day cross-check: the flush spends no more than Brevo has left.</summary>
    public static void CheckedAtEndOfDay(ILoggingAdapter log, int? credits, int left)
    {
        if (credits is null)
        {
            log.Warning("Brevo's account could not be read; the end-of-day window uses the service's own count ({Left} left)", left);
        }
        else if (credits < left)
        {
            log.Info("Brevo reports {Credits} credits left, fewer than the {Left} counted here: Brevo wins", credits, left);
        }
    }

    /// <summary>Leases the keeper settled itself: those whose send may have reached Brevo count as spent.</summary>
    public static void Released(ILoggingAdapter log, KeeperBook before, KeeperBook after, string why)
    {
        var released = before.Leases.Count - after.Leases.Count;
        if (released > 0)
        {
            var spent = after.Spent - (before.Day == after.Day ? before.Spent : 0);
            log.Warning("{Count} tokens {Why}: {Spent} counted as spent (their sends may have reached Brevo), {Returned} given back",
                released, why, spent, released - spent);
        }
    }
}
