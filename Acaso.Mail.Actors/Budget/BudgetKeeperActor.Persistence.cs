using Akka.Event;
using Akka.Persistence;
using static Acaso.Mail.Actors.Budget.BudgetProtocol;

namespace Acaso.Mail.Actors.Budget;

/// <summary>
/// The keeper's persistence: its whole state journaled on every change (and a snapshot every
/// <see cref="SnapshotEvery"/>), its recovery (importing <c>budget.db</c> on an empty journal, taking over the
/// tokens another incarnation lent), and the leases: each token in flight as its reader and reservation tag, so
/// that a settle sent twice counts once.
/// </summary>
public sealed partial class BudgetKeeperActor
{
    /// <summary>
    /// How long after a take-over the tokens lent before it are waited for: a surviving reader sends its settle again
    /// every 5 s until it is acknowledged. Only then does a window's close count the rest (a dead node's) as spent.
    /// </summary>
    private static readonly TimeSpan OrphanGrace = TimeSpan.FromSeconds(30);

    private DateTimeOffset _orphansSince;

    private void Apply(BudgetKeeperState state)
    {
        _recovered = true;
        (_day, _spent, _window, _windowGranted, _windowUsed, _borrowed, _windowRepaid, var leases, var orphans) = state;
        _leases = [.. leases ?? []];
        _orphans = [.. orphans ?? []];
    }

    private BudgetKeeperState State() =>
        new(_day, _spent, _window, _windowGranted, _windowUsed, _borrowed, _windowRepaid, [.. _leases], [.. _orphans]);

    /// <summary>One token in flight: the reader that holds it (its full path, the same from every node) and the reservation's tag.</summary>
    private string LeaseOf(ulong tag) => $"{Akka.Serialization.Serialization.SerializedActorPath(Sender)} {tag}";

    private int InFlight => _leases.Count;

    /// <summary>Journals the state, then runs <paramref name="then"/> (a reply: nothing is promised before it is stored).</summary>
    private void Save(Action? then = null)
    {
        Persist(State(), _ =>
        {
            then?.Invoke();
            Publish();
            if (LastSequenceNr % SnapshotEvery == 0)
            {
                SaveSnapshot(State());
            }
        });
    }

    private void Recovered()
    {
        if (!_recovered)
        {
            // The journal is empty: the first start of this version. The service before it counted in budget.db.
            _spent = _legacy.LoadSpent(_day);
            if (_spent > 0)
            {
                _log.Info("{Spent} mails were already charged today ({Day}): the day goes on from there", _spent, _day);
            }
        }
        else if (_leases.Count > 0)
        {
            // Another incarnation (perhaps on a node that died) had tokens out: until their sends settle or their window
            // closes, they count against the day, so a hand-over never overspends it.
            _orphans = [.. _leases];
            _orphansSince = Context.System.Scheduler.Now;
            _log.Info("Taking over the budget: window {Window}, {Spent} spent today, {InFlight} tokens in flight", _window, _spent, _leases.Count);
        }

        if (_ticks is not null)
        {
            Context.ActorOf(TickSchedulerActor.Props(_ticks, Self), "tick-scheduler");
        }

        ReadCredits((day, credits) => new CreditsAtStart(day, credits));
    }

    /// <summary>
    /// Tokens another incarnation lent that never settled: called as a window closes, once <see cref="OrphanGrace"/> has
    /// passed since the take-over, it counts them as spent (the send may have reached Brevo before its node died; the
    /// shared ledger stops a second send of the same mail).
    /// </summary>
    private void WriteOffOrphans()
    {
        if (_orphans.Count == 0 || Context.System.Scheduler.Now - _orphansSince < OrphanGrace)
        {
            // Readers that live send their settles again every few seconds: give them time to arrive first.
            return;
        }

        var unsettled = _orphans.Count(_leases.Remove);
        _orphans.Clear();
        if (unsettled > 0)
        {
            _log.Warning("{Unsettled} tokens lent before the take-over never settled: counted as spent", unsettled);
            _spent += unsettled;
        }
    }
}
