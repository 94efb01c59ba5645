using Acaso.Mail.Actors.Storage;
using Akka.Actor;
using Akka.Event;
using static Acaso.Mail.Actors.Budget.BudgetProtocol;

namespace Acaso.Mail.Actors.Budget;

/// <summary>
/// What the keeper asks of Brevo's account: the remaining credits at start (Brevo wins when it has charged more than
/// the journal says) and at the end-of-day tick (the flush spends no more than Brevo has left).
/// </summary>
public sealed partial class BudgetKeeperActor
{
    /// <summary>How long Brevo's account may take to answer before the keeper goes on with its own count.</summary>
    private static readonly TimeSpan AccountTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Asks Brevo for today's credits and sends the answer (null when it cannot say) to itself as <typeparamref name="T"/>.</summary>
    private void ReadCredits<T>(Func<DateOnly, int?, T> answer)
    {
        var day = Today();
        ReadCreditsAsync().ContinueWith(t => answer(day, t.IsCompletedSuccessfully ? t.Result : null), TaskScheduler.Default)
            .PipeTo(Self);
    }

    /// <summary>The free plan's credits, or null when Brevo cannot say within <see cref="AccountTimeout"/>.</summary>
    private async Task<int?> ReadCreditsAsync()
    {
        using var timeout = new CancellationTokenSource(AccountTimeout);
        try
        {
            return await _brevo.GetRemainingCreditsAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>
    /// At start, off the keeper's thread: on an empty journal (the first start of this service with one) the day's count
    /// of the service before it (<c>budget.db</c>), and Brevo's remaining credits; both come back in one message, and
    /// are decided in it.
    /// </summary>
    private void ReadAtStart()
    {
        var day = Today();
        var legacy = _recovered ? null : _legacy;
        var log = _log;
        var stopping = _stopping.Token;

        async Task<CreditsAtStart> ReadAsync()
        {
            int? imported = legacy is null
                ? null
                : await StoreCall.UntilDoneAsync(attempt => legacy.LoadSpentAsync(day, attempt), (e, attempt) =>
                {
                    if (StoreCall.WorthSaying(attempt))
                    {
                        log.Warning("The count of the service before the journal could not be read ({Attempt} attempts so far): {Error}",
                            attempt, e.GetBaseException().Message);
                    }
                }, stopping).ConfigureAwait(false);
            return new CreditsAtStart(day, await ReadCreditsAsync().ConfigureAwait(false), imported);
        }

        ReadAsync().PipeTo(Self);
    }

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
        var changed = _decided.Count > 0;
        Commit();
        if (!changed)
        {
            Publish();
        }
    }

    private void HandleEndOfDay() => ReadCredits((day, credits) => new CreditsRead(day, credits));

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

    /// <summary>Brevo's answer to the end-of-day credit question.</summary>
    private sealed record CreditsRead(DateOnly Day, int? Credits);

    /// <summary>Brevo's credits at start, to cross-check the stored count, and the count to import on an empty journal.</summary>
    private sealed record CreditsAtStart(DateOnly Day, int? Credits, int? Imported);
}
