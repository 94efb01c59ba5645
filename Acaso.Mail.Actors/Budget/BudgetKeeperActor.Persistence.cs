using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using static Acaso.Mail.Actors.Budget.KeeperEvents;

namespace Acaso.Mail.Actors.Budget;

/// <summary>
/// The keeper's persistence: each decision's events journaled before its answer goes out (and a snapshot of the books
/// every <see cref="KeeperDecisions.SnapshotEvery"/> events), its recovery (snapshot, then events; whole-state rows of
/// builds before 1.4.0 are read as they were written; <c>budget.db</c> imported on an empty journal; the tokens another
/// incarnation lent taken over), and the leases of readers that are gone.
/// </summary>
public sealed partial class BudgetKeeperActor
{
    /// <summary>
    /// How long after a reader is reported stopped (or its node gone) its leases are settled for it: settles it sent
    /// just before may still be on their way.
    /// </summary>
    private static readonly TimeSpan ReaderGrace = TimeSpan.FromSeconds(5);

    private void Recovering()
    {
        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is KeeperBook or BudgetKeeperState)
            {
                Recovered(AsBook(offer.Snapshot), snapshot: true);
            }
        });
        // A build before 1.4.0 journaled its whole state on every change: the last one wins.
        Recover<object>(row => row is KeeperBook or BudgetKeeperState, row => Recovered(AsBook(row), snapshot: false));
        Recover<IKeeperEvent>(happened => Recovered(_books.Book.Apply(happened), snapshot: false));
        Recover<RecoveryCompleted>(_ => Recovered());
    }

    private void Recovered(KeeperBook book, bool snapshot)
    {
        _books.Recover(book, snapshot);
        _recovered = true;
    }

    /// <summary>The books a snapshot or whole-state row holds: ours, or one 2f98441 wrote through Newtonsoft.</summary>
    private static KeeperBook AsBook(object row) => row as KeeperBook ?? ((BudgetKeeperState)row).ToBook();

    /// <summary>The books as this message's decisions leave them (the journal's, until something is decided).</summary>
    private KeeperBook Books => _books.Ahead;

    /// <summary>Decides <paramref name="command"/> on <see cref="Books"/> (<see cref="Commit"/> journals its events); returns the answer.</summary>
    private object? Decide(KeeperRules.ICommand command) =>
        _books.Decide(command, _settings, Today(), (began, ended) =>
            _log.Info("A new day ({Day}) begins: {Spent} were spent on {PreviousDay}", began.Day, ended.Spent, ended.Day));

    /// <summary>
    /// Journals what was decided, the books changing as each event is stored, then runs <paramref name="then"/> (a reply:
    /// nothing is promised before it is stored). Commands wait meanwhile (Persist stashes them), so memory never runs
    /// ahead of the journal, and the books the reply reads are those the events made.
    /// </summary>
    private void Commit(Action? then = null)
    {
        var events = _books.TakeDecided();
        if (events.Count == 0)
        {
            then?.Invoke();
            return;
        }

        var stored = 0;
        PersistAll(events, happened =>
        {
            var snapshotDue = _books.Stored(happened, last: ++stored == events.Count);
            if (stored < events.Count)
            {
                return;
            }

            then?.Invoke();
            Publish();
            if (snapshotDue)
            {
                SaveSnapshot(_books.Book);
            }
        });
    }

    /// <summary>One token in flight: the reader that holds it (its full path, the same from every node) and the reservation's tag.</summary>
    private string LeaseOf(ulong tag) => $"{Akka.Serialization.Serialization.SerializedActorPath(Sender)} {tag}";

    private void Recovered()
    {
        var book = _books.Book;
        if (_recovered && book.Leases.Count > 0)
        {
            // Another incarnation (perhaps on a node that died) had tokens out: until their sends settle or their window
            // closes, they count against the day, so a hand-over never overspends it.
            _orphans.TakeOver(book.Leases.Keys, Context.System.Scheduler.Now);
            _log.Info("Taking over the budget: window {Window}, {Spent} spent today, {InFlight} tokens in flight",
                book.Window, book.Spent, book.Leases.Count);
            // A reader that is gone (its node died with the old keeper) is reported Terminated at once; one that lives
            // settles its leases itself.
            foreach (var reader in book.Leases.Keys.Select(KeeperLease.ReaderOf).Distinct())
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

    private void ReaderStopped(Terminated terminated)
    {
        _readers.Remove(terminated.ActorRef);
        var reader = Akka.Serialization.Serialization.SerializedActorPath(terminated.ActorRef);
        if (_books.Book.Leases.Keys.Any(key => KeeperLease.ReaderOf(key) == reader))
        {
            Timers.StartSingleTimer("reader-gone " + reader, new ReaderGone(reader), ReaderGrace);
        }
    }

    private void Handle(ReaderGone gone)
    {
        Release([.. _books.Book.Leases.Keys.Where(key => KeeperLease.ReaderOf(key) == gone.Reader)], "held by a reader that stopped");
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
        _orphans.Settled(keys);
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
