using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Events;
using Acaso.Mail.Actors.Settings;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using static Acaso.Mail.Actors.Budget.BudgetProtocol;
using static Acaso.Mail.Actors.Budget.KeeperEvents;

namespace Acaso.Mail.Actors.Budget;

/// <summary>
/// Daily mode's budget (the free plan) and its only authority: in a cluster, a singleton. Ticks open windows of tokens;
/// a reader leases a token before each take and settles it after, and the day never spends past its limit (charged and
/// in-flight tokens both count). Its journal is its only truth: <see cref="KeeperRules"/> decides each message's events,
/// and the books (<see cref="KeeperBook"/>) change only as each is stored, before any answer goes out; a snapshot every
/// <see cref="KeeperDecisions.SnapshotEvery"/> events replaces what came before it, so a restart or a hand-over resumes the
/// same day, window and loans. It grants nothing before it has cross-checked with Brevo's credits (and imported
/// <c>budget.db</c>'s count into an empty journal). Midnight in the configured zone begins a new day.
/// </summary>
public sealed class BudgetKeeperActor : ReceivePersistentActor
{
    /// <summary>The keeper's persistence id: one budget per service, whichever node holds it.</summary>
    public const string Id = "budget-keeper";

    private readonly BudgetSettings _settings;
    private readonly IBrevoClient _brevo;
    private readonly IBudgetStore _legacy;
    private readonly BudgetSettings? _ticks;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ReaderSubscriptions _readers = new();
    private readonly TakesUnderWay _takes = new();
    private readonly OrphanLeases _orphans = new();
    private readonly KeeperDecisions _books;
    private readonly CancellationTokenSource _stopping = new();
    private IActorRef _watch = ActorRefs.Nobody;

    /// <summary>
    /// Creates the keeper of <paramref name="settings"/>' budget; <paramref name="brevo"/> says its credits, <paramref name="legacy"/>
    /// holds the count of a service before the journal, and with <paramref name="ticks"/> a Quartz child fires its ticks beside it.
    /// </summary>
    public BudgetKeeperActor(BudgetSettings settings, IBrevoClient brevo, IBudgetStore legacy, BudgetSettings? ticks = null)
    {
        _settings = settings;
        _brevo = brevo;
        _legacy = legacy;
        _ticks = ticks;
        _books = new KeeperDecisions(KeeperBook.Empty(Today()));
        // The latest snapshot, then the events after it; whole-state rows of builds before 1.4.0 are read as written.
        Recover<SnapshotOffer>(offer => _books.Recover(offer.Snapshot, snapshot: true));
        Recover<RecoveryCompleted>(_ => RecoveryCompleted());
        Recover<object>(row => _books.Recover(row, snapshot: false));
        Starting();
    }

    /// <inheritdoc />
    public override string PersistenceId => Id;

    /// <summary>The books as this message's decisions leave them (the journal's, until something is decided).</summary>
    private KeeperBook Books => _books.Ahead;

    /// <summary>Props for the keeper (an in-memory legacy store: nothing to import).</summary>
    public static Props Props(BudgetSettings settings, IBrevoClient brevo, IBudgetStore? legacy = null, BudgetSettings? ticks = null) =>
        Akka.Actor.Props.Create(() => new BudgetKeeperActor(settings, brevo, legacy ?? new InMemoryBudgetStore(), ticks));

    /// <inheritdoc />
    protected override void PreStart()
    {
        _watch = Context.ActorOf(Akka.Actor.Props.Create<ReaderWatchActor>(), "reader-watch");
        Context.System.EventStream.Publish(new MailEvents.KeeperHere(true));
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        Context.System.EventStream.Publish(new MailEvents.KeeperHere(false));
    }

    private void RecoveryCompleted()
    {
        var book = _books.Book;
        if (book.Leases.Count > 0)
        {
            // Another incarnation (perhaps on a node that died) had tokens out: until their sends settle or their window
            // closes, they count against the day, so a hand-over never overspends it. A reader that lives settles its own.
            KeeperLog.TakingOver(_log, book);
            _watch.Tell(new ReaderWatchActor.WatchHolders(_orphans.TakeOver(book.Leases.Keys, Context.System.Scheduler.Now)));
        }

        if (_ticks is not null)
        {
            Context.ActorOf(TickSchedulerActor.Props(_ticks, Self), "tick-scheduler");
        }

        // Off the keeper's thread: the count to import on an empty journal, and Brevo's credits, come back in one message.
        KeeperReads.AtStartAsync(Today(), _brevo, _books.Recovered ? null : _legacy, _log, _stopping.Token).PipeTo(Self);
    }

    /// <summary>
    /// Until Brevo's credits are read at start, nothing is granted: a send under way would race the cross-check.
    /// Everything but status questions waits in the stash.
    /// </summary>
    private void Starting()
    {
        Command<CreditsAtStart>(read =>
        {
            CheckAtStart(read);
            Become(Ready);
            Stash.UnstashAll();
        });
        Command<GetStatus>(_ => Sender.Tell(Status() with { Started = false }));
        CommandAny(_ => Stash.Stash());
    }

    private void Ready()
    {
        Command<Subscribe>(Handle);
        Command<Reserve>(reserve =>
        {
            var key = LeaseOf(reserve.Tag);
            var answer = Decide(new KeeperRules.Lease(key, reserve));
            if (answer is Reserved)
            {
                _takes.Started(key, Context.System.Scheduler.Now);
            }

            Answer(answer);
        });
        Command<BudgetProtocol.Spending>(sending =>
        {
            Decide(new KeeperRules.MarkSending(LeaseOf(sending.Tag), sending.Key));
            Commit();
        });
        Command<Settle>(settle =>
        {
            var key = LeaseOf(settle.Tag);
            _orphans.Settled([key]);
            Answer(Decide(new KeeperRules.SettleLease(key, settle)));
        });
        Command<CanSendUrgent>(_ =>
        {
            Decide(KeeperRules.Roll.Instance);
            var busy = _takes.ElsewhereThan(Akka.Serialization.Serialization.SerializedActorPath(Sender), Books, Context.System.Scheduler.Now);
            Answer(new UrgentCapacity(Books.Window, KeeperRules.UrgentTokens(Books, _settings), busy));
        });
        Command<HourlyTick>(_ => OpenWindow(KeeperRules.OpenHourly.Instance));
        Command<EndOfDayTick>(_ => KeeperReads.AtEndOfDayAsync(Today(), _brevo).PipeTo(Self));
        Command<CreditsRead>(read =>
        {
            if (read.Day == Today())
            {
                KeeperLog.CheckedAtEndOfDay(_log, read.Credits, Books.LeftToday(_settings.DailyLimit));
                OpenWindow(new KeeperRules.OpenEndOfDay(read.Credits));
            }
        });
        Command<ReaderWatchActor.ReaderStopped>(stopped => _readers.Remove(stopped.Reader));
        Command<ReaderWatchActor.ReaderGone>(gone =>
        {
            Release(_books.Book.Leases.Keys.Where(key => KeeperLease.ReaderOf(key) == gone.Reader).ToList(), "held by a reader that stopped");
            Commit();
        });
        Command<GetStatus>(_ => Sender.Tell(Status()));
        Command<WhenStarted>(_ => Sender.Tell(KeeperStarted.Instance));
        Command<SaveSnapshotSuccess>(saved =>
        {
            // The snapshot holds everything before it: the events it covers and the snapshots before it go.
            DeleteMessages(saved.Metadata.SequenceNr);
            DeleteSnapshots(new SnapshotSelectionCriteria(saved.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(failed => _log.Warning(failed.Cause, "The keeper's snapshot was not saved; recovery replays its events"));
        Command<DeleteMessagesFailure>(failed => _log.Warning(failed.Cause, "The keeper's old events were not deleted"));
        Command<DeleteSnapshotsFailure>(failed => _log.Warning(failed.Cause, "The keeper's old snapshots were not deleted"));
        // The deletions that succeeded need nothing more.
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteSnapshotsSuccess>(_ => { });
    }

    private void Handle(Subscribe subscribe)
    {
        // Readers subscribe again now and then (a new keeper after a hand-over knows none): greet only a new one. Its node's
        // gauges show the day's count at once, not after the next event.
        if (_readers.Add(subscribe.Reader))
        {
            _watch.Tell(new ReaderWatchActor.Watch(subscribe.Reader));
            subscribe.Reader.Tell(Report());
            if (_books.Book.WindowLeft > 0)
            {
                subscribe.Reader.Tell(new WindowOpened(_books.Book.Window, _books.Book.WindowLeft, WindowKind.Hourly, _books.Book.Day));
            }
        }
    }

    /// <summary>
    /// At start, in this one message: the import (journaled even when zero, so it happens once) and the cross-check with
    /// Brevo, which wins when it charged more. The gauges show the books from here on: a restart's count is right from <c>/readyz</c>.
    /// </summary>
    private void CheckAtStart(CreditsAtStart read)
    {
        if (read.Imported is { } imported)
        {
            Decide(new KeeperRules.Import(imported));
        }

        var afterImport = Books;
        Decide(new KeeperRules.CheckCredits(read.Day, read.Credits));
        KeeperLog.CheckedAtStart(_log, read, afterImport, Books);
        // Journaled, the books are published as they are stored; with nothing to journal, now.
        Commit(then: _books.Pending ? null : Publish);
    }

    /// <summary>Closes the open window (writing off what an earlier incarnation lent, once its grace is over) and opens the next.</summary>
    private void OpenWindow(KeeperRules.ICommand tick)
    {
        if (_orphans.DueAt(Context.System.Scheduler.Now) is { Count: > 0 } unsettled)
        {
            Release(unsettled, "lent before the take-over and never settled");
        }

        Decide(tick);
        var kind = tick is KeeperRules.OpenHourly ? WindowKind.Hourly : WindowKind.EndOfDay;
        var book = Books;
        KeeperLog.WindowOpened(_log, book, kind, _settings.DailyLimit);
        var opened = new WindowOpened(book.Window, book.WindowGranted, kind, book.Day);
        Commit(then: () =>
        {
            _readers.Tell(opened);
            Context.System.EventStream.Publish(new MailEvents.TokensGranted(kind == WindowKind.Hourly ? "hourly" : "end_of_day", opened.Tokens));
        });
    }

    /// <summary>Settles leases whose reader will not: one whose send may have reached Brevo counts as spent, the others go back.</summary>
    private void Release(IReadOnlyCollection<string> keys, string why)
    {
        var before = Books;
        Decide(new KeeperRules.Release(keys));
        _orphans.Settled(keys);
        KeeperLog.Released(_log, before, Books, why);
    }

    /// <summary>Decides <paramref name="command"/> on <see cref="Books"/> (<see cref="Commit"/> journals its events); returns the answer.</summary>
    private object? Decide(KeeperRules.ICommand command) =>
        _books.Decide(command, _settings, Today(), (began, ended) => KeeperLog.DayBegan(_log, began, ended));

    /// <summary>Journals what was decided, then tells the sender <paramref name="answer"/>: nothing is promised before it is stored.</summary>
    private void Answer(object? answer)
    {
        var asker = Sender;
        Commit(then: () => asker.Tell(answer));
    }

    /// <summary>
    /// Journals what was decided, the books changing as each event is stored, then runs <paramref name="then"/>. Commands
    /// wait meanwhile (Persist stashes them), so memory never runs ahead of the journal.
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

    private DateOnly Today() => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(Context.System.Scheduler.Now, _settings.Zone).DateTime);

    private BudgetStatus Status() => _books.Book.Status(_settings.DailyLimit);

    private BudgetReport Report() => _books.Book.Report(_settings.DailyLimit);

    /// <summary>The books to this node's gauges and to every reader's (the keeper may run on another node).</summary>
    private void Publish()
    {
        var report = Report();
        Context.System.EventStream.Publish(new MailEvents.BudgetChanged(report.Spent, report.LeftToday, report.WindowLeft, report.Borrowed));
        _readers.Tell(report);
    }
}
