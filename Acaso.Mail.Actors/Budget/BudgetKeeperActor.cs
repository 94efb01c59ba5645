using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Events;
using Acaso.Mail.Actors.Settings;
using Akka.Actor;
using Akka.Hosting;
using Akka.Event;
using Akka.Persistence;
using static Acaso.Mail.Actors.Budget.BudgetProtocol;

namespace Acaso.Mail.Actors.Budget;

/// <summary>
/// Daily mode's budget (the free plan) and its only authority: in a cluster, a singleton. Ticks open windows of
/// tokens; a reader leases a token before each take and settles it after. It never lets the day spend past its
/// limit: charged tokens and tokens in flight both count. Its books (<see cref="KeeperBook"/>) change only by events
/// that <see cref="KeeperRules"/> decides and the keeper journals (Akka.Persistence, <see cref="KeeperEvents"/>, with a
/// snapshot every <see cref="KeeperDecisions.SnapshotEvery"/>), so a restart or a hand-over to another node resumes the same day, window
/// and loans (<see cref="KeeperDecisions"/> holds them and the decisions under way). On its very first start (an empty journal) it imports the day's count from the <see cref="IBudgetStore"/>
/// the service used before (<c>budget.db</c>). At start it cross-checks with Brevo's remaining credits. A new day
/// (midnight in the configured zone, read from the scheduler's clock) resets the count.
/// </summary>
public sealed partial class BudgetKeeperActor : ReceivePersistentActor, IWithTimers
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
    // Cancels the start's store read should the keeper stop first.
    private readonly CancellationTokenSource _stopping = new();
    private bool _recovered;

    /// <summary>Creates the keeper; <paramref name="brevo"/> answers the end-of-day credit question.</summary>
    /// <param name="settings">The budget.</param>
    /// <param name="brevo">Brevo's account, for its remaining credits.</param>
    /// <param name="legacy">The count of a service that ran before the journal existed (imported once).</param>
    /// <param name="ticks">When given, a Quartz scheduler child tells this keeper its ticks: they fire only beside it.</param>
    public BudgetKeeperActor(BudgetSettings settings, IBrevoClient brevo, IBudgetStore legacy, BudgetSettings? ticks = null)
    {
        _settings = settings;
        _brevo = brevo;
        _legacy = legacy;
        _ticks = ticks;
        _books = new KeeperDecisions(KeeperBook.Empty(Today()));
        Recovering();
        Starting();
    }

    /// <inheritdoc />
    public override string PersistenceId => Id;

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>
    /// Until Brevo's credits are read at start, nothing is granted: a send under way would race the cross-check.
    /// Everything but status questions waits in the stash, <see cref="WhenStarted"/> included.
    /// </summary>
    private void Starting()
    {
        Command<CreditsAtStart>(read =>
        {
            Handle(read);
            Become(Ready);
            Stash.UnstashAll();
        });
        Command<GetStatus>(_ => Sender.Tell(Status() with { Started = false }));
        CommandAny(_ => Stash.Stash());
    }

    private void Ready()
    {
        Command<Subscribe>(Handle);
        Command<Terminated>(ReaderStopped);
        Command<ReaderGone>(Handle);
        Command<BudgetProtocol.Spending>(Handle);
        Command<HourlyTick>(_ => OpenWindow(KeeperRules.OpenHourly.Instance));
        Command<EndOfDayTick>(_ => HandleEndOfDay());
        Command<CreditsRead>(Handle);
        Command<Reserve>(Handle);
        Command<Settle>(Handle);
        Command<GetStatus>(_ => Sender.Tell(Status()));
        Command<WhenStarted>(_ => Sender.Tell(KeeperStarted.Instance));
        Command<CanSendUrgent>(_ =>
        {
            var asker = Sender;
            Decide(KeeperRules.Roll.Instance);
            var busy = _takes.ElsewhereThan(Akka.Serialization.Serialization.SerializedActorPath(asker), Books, Context.System.Scheduler.Now);
            Commit(() => asker.Tell(new UrgentCapacity(_books.Book.Window, KeeperRules.UrgentTokens(_books.Book, _settings), busy)));
        });
        Command<SaveSnapshotSuccess>(saved =>
        {
            // The snapshot holds everything before it: the events it covers and the snapshots before it go.
            DeleteMessages(saved.Metadata.SequenceNr);
            DeleteSnapshots(new SnapshotSelectionCriteria(saved.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(failed => _log.Warning(failed.Cause, "The keeper's snapshot was not saved; recovery replays its events"));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(failed => _log.Warning(failed.Cause, "The keeper's old events were not deleted"));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(failed => _log.Warning(failed.Cause, "The keeper's old snapshots were not deleted"));
    }

    /// <summary>Props for the keeper (an in-memory legacy store: nothing to import).</summary>
    public static Props Props(BudgetSettings settings, IBrevoClient brevo, IBudgetStore? legacy = null, BudgetSettings? ticks = null) =>
        Akka.Actor.Props.Create(() => new BudgetKeeperActor(settings, brevo, legacy ?? new InMemoryBudgetStore(), ticks));

    /// <inheritdoc />
    protected override void PreStart() => Context.System.EventStream.Publish(new MailEvents.KeeperHere(true));

    /// <inheritdoc />
    protected override void PostStop()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        Context.System.EventStream.Publish(new MailEvents.KeeperHere(false));
    }

    private void Handle(Subscribe subscribe)
    {
        // Readers subscribe again now and then (a new keeper after a hand-over knows none): tell only a new one.
        if (!_readers.Add(subscribe.Reader, Context))
        {
            return;
        }

        // Its node's gauges show the day's count at once, not after the next event.
        subscribe.Reader.Tell(Report());
        var book = _books.Book;
        if (book.WindowLeft > 0)
        {
            subscribe.Reader.Tell(new WindowOpened(book.Window, book.WindowLeft, WindowKind.Hourly, book.Day));
        }
    }

    private void Handle(Reserve reserve)
    {
        var reader = Sender;
        var key = LeaseOf(reserve.Tag);
        var answer = Decide(new KeeperRules.Lease(key, reserve));
        if (answer is Reserved)
        {
            _takes.Started(key, Context.System.Scheduler.Now);
        }

        Commit(() => reader.Tell(answer));
    }

    private void Handle(Settle settle)
    {
        var reader = Sender;
        var key = LeaseOf(settle.Tag);
        _orphans.Settled([key]);
        var answer = Decide(new KeeperRules.SettleLease(key, settle));
        Commit(() => reader.Tell(answer));
    }

    private void Handle(BudgetProtocol.Spending sending)
    {
        Decide(new KeeperRules.MarkSending(LeaseOf(sending.Tag), sending.Key));
        Commit();
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
        _log.Info("Window {Window} ({Kind}) opens with {Tokens} tokens; {Spent} spent today, {InFlight} in flight, limit {Limit}",
            book.Window, kind, book.WindowGranted, book.Spent, book.InFlight, _settings.DailyLimit);
        var opened = new WindowOpened(book.Window, book.WindowGranted, kind, book.Day);
        Commit(() =>
        {
            _readers.Tell(opened);
            Context.System.EventStream.Publish(new MailEvents.TokensGranted(kind == WindowKind.Hourly ? "hourly" : "end_of_day", opened.Tokens));
        });
    }

    private DateOnly Today() =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(Context.System.Scheduler.Now, _settings.Zone).DateTime);

    private BudgetStatus Status()
    {
        var book = _books.Book;
        return new(book.Day, book.Spent, book.InFlight, book.Window, book.WindowGranted, book.WindowUsed, _settings.DailyLimit, book.Borrowed);
    }

    private BudgetReport Report()
    {
        var status = Status();
        return new BudgetReport(status.Spent, status.LeftToday, status.WindowLeft, status.Borrowed);
    }

    private void Publish()
    {
        var report = Report();
        Context.System.EventStream.Publish(new MailEvents.BudgetChanged(report.Spent, report.LeftToday, report.WindowLeft, report.Borrowed));
        _readers.Tell(report);
    }
}
