using Akka.Actor;
using Akka.Event;

namespace Acaso.Mail.Actors.Budget;

/// <summary>
/// What the keeper asks of Brevo's account (<see cref="KeeperReads"/>): the remaining credits at start (Brevo wins when
/// it has charged more than the journal says) and at the end-of-day tick (the flush spends no more than Brevo has left).
/// </summary>
public sealed partial class BudgetKeeperActor
{
    /// <summary>
    /// At start, off the keeper's thread: on an empty journal (the first start of this service with one) the day's count
    /// of the service before it (<c>budget.db</c>), and Brevo's remaining credits; both come back in one message, and
    /// are decided in it.
    /// </summary>
    private void ReadAtStart() =>
        KeeperReads.AtStartAsync(Today(), _brevo, _recovered ? null : _legacy, _log, _stopping.Token).PipeTo(Self);

    private void Handle(CreditsAtStart read)
    {
        if (read.Imported is { } imported)
        {
            // Journaled even when zero, so the import happens once.
            Decide(new KeeperRules.Import(imported));
            if (imported > 0)
            {
                _log.Info("{Spent} mails were already charged today ({Day}): the day goes on from there", imported, read.Day);
            }
        }

        var before = Books.Spent;
        Decide(new KeeperRules.CheckCredits(read.Day, read.Credits));
        var after = Books;
        if (after.Spent != before && after.Day == read.Day)
        {
            // Brevo has charged more today than this service remembers (a lost database, another sender): Brevo wins.
            _log.Info("Brevo reports {Credits} credits left with {InFlight} sends under way: counting {Charged} charged today instead of {Spent}",
                read.Credits, after.InFlight, after.Spent, before);
        }

        // The gauges show the recovered books from the start, not only after the next event (a restart's or a
        // hand-over's count is right from /readyz on): when the check changed nothing, nothing is journaled to publish them.
        var changed = _books.Pending;
        Commit();
        if (!changed)
        {
            Publish();
        }
    }

    private void HandleEndOfDay() => KeeperReads.AtEndOfDayAsync(Today(), _brevo).PipeTo(Self);

    private void Handle(CreditsRead read)
    {
        if (read.Day != Today())
        {
            return;
        }

        var left = Books.LeftToday(_settings.DailyLimit);
        if (read.Credits is null)
        {
            _log.Warning("Brevo's account could not be read; the end-of-day window uses the service's own count ({Left} left)", left);
        }
        else if (read.Credits < left)
        {
            _log.Info("Brevo reports {Credits} credits left, fewer than the {Left} counted here: Brevo wins", read.Credits, left);
        }

        OpenWindow(new KeeperRules.OpenEndOfDay(read.Credits));
    }
}
