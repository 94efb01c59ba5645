using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using static Acaso.Mail.Actors.Budget.KeeperEvents;

namespace Acaso.Mail.Actors.Budget;

/// <summary>
/// The keeper's persistence: each decision's events journaled before its answer goes out (and a snapshot of the books
/// every <see cref="SnapshotEvery"/> events), its recovery (snapshot, then events; whole-state rows of builds before
/// 1.4.0 are read as they were written; <c>budget.db</c> imported on an empty journal; the tokens another incarnation
/// lent taken over), and the leases: each token in flight as its reader and reservation tag, so that a settle sent twice
/// counts once.
/// </summary>
public sealed partial class BudgetKeeperActor
{
    /// <summary>
    /// How long after a take-over the tokens lent before it are waited for: a surviving reader sends its settle again
    /// every 5 s until it is acknowledged. Only then does a window's close count the rest (a dead node's) as spent.
    /// </summary>
    private static readonly TimeSpan OrphanGrace = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long after a reader is reported stopped (or its node gone) its leases are settled for it: settles it sent
    /// just before may still be on their way.
    /// </summary>
    private static readonly TimeSpan ReaderGrace = TimeSpan.FromSeconds(5);

    // Decided in the message under way, not yet journaled: Commit journals them, and only then do the books change.
    private readonly List<IKeeperEvent> _decided = [];
    // The books with what was decided in the message under way applied: a later decision in the same message reads them.
    private KeeperBook _ahead = null!;
    private int _sinceSnapshot;
    private DateTimeOffset _orphansSince;

    private void Recovering()
    {
        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is BudgetKeeperState state)
            {
                _book = KeeperBook.FromState(state);
                _recovered = true;
                _sinceSnapshot = 0;
            }
        });
        // A build before 1.4.0 journaled its whole state on every change: the last one wins.
        Recover<BudgetKeeperState>(state =>
        {
            _book = KeeperBook.FromState(state);
            _recovered = true;
            _sinceSnapshot++;
        });
        Recover<IKeeperEvent>(happened =>
        {
            _book = _book.Apply(happened);
            _recovered = true;
            _sinceSnapshot++;
        });
        Recover<RecoveryCompleted>(_ => Recovered());
    }

    /// <summary>The books as this message's decisions leave them (the journal's, until something is decided).</summary>
    private KeeperBook Books => _decided.Count == 0 ? _book : _ahead;

    /// <summary>Decides <paramref name="command"/> on <see cref="Books"/> (<see cref="Commit"/> journals its events); returns the answer.</summary>
    private object? Decide(KeeperRules.ICommand command)
    {
        var book = Books;
        var decision = KeeperRules.Decide(book, command, _settings, Today());
        foreach (var happened in decision.Events)
        {
            if (happened is DayBegan began)
            {
                _log.Info("A new day ({Day}) begins: {Spent} were spent on {PreviousDay}", began.Day, book.Spent, book.Day);
            }

            book = book.Apply(happened);
            _decided.Add(happened);
        }

        _ahead = book;
        return decision.Answer;
    }

    /// <summary>
    /// Journals what was decided, applying each event to the books as it is stored, then runs <paramref name="then"/>
    /// (a reply: nothing is promised before it is stored). Commands wait meanwhile (Persist stashes them), so memory
    /// never runs ahead of the journal, and the books the reply reads are those the events made.
    /// </summary>
    private void Commit(Action? then = null)
    {
        if (_decided.Count == 0)
        {
            then?.Invoke();
            return;
        }

        var events = _decided.ToList();
        _decided.Clear();
        var stored = 0;
        PersistAll(events, happened =>
        {
            _book = _book.Apply(happened);
            if (++stored < events.Count)
            {
                return;
            }

            then?.Invoke();
            Publish();
            _sinceSnapshot += events.Count;
            if (_sinceSnapshot >= SnapshotEvery)
            {
                _sinceSnapshot = 0;
                SaveSnapshot(_book.ToState());
            }
        });
    }

    /// <summary>One token in flight: the reader that holds it (its full path, the same from every node) and the reservation's tag.</summary>
    private string LeaseOf(ulong tag) => $"{Akka.Serialization.Serialization.SerializedActorPath(Sender)} {tag}";

    private void Recovered()
    {
        if (_recovered && _book.Leases.Count > 0)
        {
            // Another incarnation (perhaps on a node that died) had tokens out: until their sends settle or their window
            // closes, they count against the day, so a hand-over never overspends it.
            _orphans = [.. _book.Leases.Keys];
            _orphansSince = Context.System.Scheduler.Now;
            _log.Info("Taking over the budget: window {Window}, {Spent} spent today, {InFlight} tokens in flight",
                _book.Window, _book.Spent, _book.Leases.Count);
            // A reader that is gone (its node died with the old keeper) is reported Terminated at once; one that lives
            // settles its leases itself.
            foreach (var reader in _orphans.Select(KeeperLease.ReaderOf).Distinct())
            {
                Context.Watch(((ExtendedActorSystem)Context.System).Provider.ResolveActorRef(reader));
            }
        }

        if (_ticks is not null)
        {
            Context.ActorOf(TickSchedulerActor.Props(_ticks, Self), "tick-scheduler");
        }

        ReadAtStart();
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

        var unsettled = _orphans.ToList();
        _orphans.Clear();
        Release(unsettled, "lent before the take-over and never settled");
    }

    private void ReaderStopped(Terminated terminated)
    {
        _readers.Remove(terminated.ActorRef);
        var reader = Akka.Serialization.Serialization.SerializedActorPath(terminated.ActorRef);
        if (_book.Leases.Keys.Any(key => KeeperLease.ReaderOf(key) == reader))
        {
            Timers.StartSingleTimer("reader-gone " + reader, new ReaderGone(reader), ReaderGrace);
        }
    }

    private void Handle(ReaderGone gone)
    {
        Release([.. _book.Leases.Keys.Where(key => KeeperLease.ReaderOf(key) == gone.Reader)], "held by a reader that stopped");
        Commit();
    }

    /// <summary>
    /// Settles leases whose reader will not (<see cref="LeasesReleased"/>): one whose send may have reached Brevo counts as
    /// spent, the others go back to their window (or to the coming one, when borrowed).
    /// </summary>
    private void Release(IReadOnlyCollection<string> keys, string why)
    {
        var before = Books;
        Decide(new KeeperRules.Release(keys));
        _orphans.ExceptWith(keys);
        var after = Books;
        var released = before.Leases.Count - after.Leases.Count;
        if (released > 0)
        {
            var spent = after.Spent - (before.Day == after.Day ? before.Spent : 0);
            _log.Warning("{Count} tokens {Why}: {Spent} counted as spent (their sends may have reached Brevo), {Returned} given back",
                released, why, spent, released - spent);
        }
    }

    /// <summary>A reader reported stopped a grace ago: its leases are settled for it.</summary>
    private sealed record ReaderGone(string Reader);
}
