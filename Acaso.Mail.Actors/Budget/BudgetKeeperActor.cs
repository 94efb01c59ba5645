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
/// limit: charged tokens and tokens in flight both count. Every change is persisted (Akka.Persistence, the whole
/// <see cref="BudgetKeeperState"/> as the event), so a restart or a hand-over to another node resumes the same day,
/// window and loans. On its very first start (an empty journal) it imports the day's count from the
/// <see cref="IBudgetStore"/> the service used before (<c>budget.db</c>). At start it cross-checks with Brevo's
/// remaining credits. A new day (midnight in the configured zone, read from the scheduler's clock) resets the count.
/// </summary>
public sealed partial class BudgetKeeperActor : ReceivePersistentActor, IWithTimers
{
    /// <summary>The keeper's persistence id: one budget per service, whichever node holds it.</summary>
    public const string Id = "budget-keeper";

    /// <summary>A snapshot every so many persisted changes keeps recovery short; older events are deleted.</summary>
    private const int SnapshotEvery = 100;

    private readonly BudgetSettings _settings;
    private readonly IBrevoClient _brevo;
    private readonly IBudgetStore _legacy;
    private readonly BudgetSettings? _ticks;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ReaderSubscriptions _readers = new();
    private bool _recovered;
    private DateOnly _day;
    private int _spent;
    private long _window;
    private int _windowGranted;
    private int _windowUsed;
    private int _borrowed;
    // Tokens of the current window that went to pay back earlier borrowing: until the window closes, urgent mail
    // is still that far ahead of the hourly schedule.
    private int _windowRepaid;
    // Tokens in flight, by their reader and reservation tag; and the keys of those an earlier incarnation lent.
    private Dictionary<string, KeeperLease> _leases = [];
    private HashSet<string> _orphans = [];
    private HashSet<Guid> _writtenOff = [];

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
        _day = Today();
        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is BudgetKeeperState state)
            {
                Apply(state);
            }
        });
        Recover<BudgetKeeperState>(Apply);
        Recover<RecoveryCompleted>(_ => Recovered());
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
        Command<HourlyTick>(_ => Handle());
        Command<EndOfDayTick>(_ => HandleEndOfDay());
        Command<CreditsRead>(Handle);
        Command<Reserve>(Handle);
        Command<Settle>(Handle);
        Command<GetStatus>(_ => Sender.Tell(Status()));
        Command<WhenStarted>(_ => Sender.Tell(KeeperStarted.Instance));
        Command<CanSendUrgent>(_ => Sender.Tell(new UrgentCapacity(_window, UrgentTokens())));
        Command<SaveSnapshotSuccess>(saved => DeleteMessages(saved.Metadata.SequenceNr));
        Command<SaveSnapshotFailure>(failed => _log.Warning(failed.Cause, "The keeper's snapshot was not saved; recovery replays its events"));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(failed => _log.Warning(failed.Cause, "The keeper's old events were not deleted"));
    }

    /// <summary>Props for the keeper (an in-memory legacy store: nothing to import).</summary>
    public static Props Props(BudgetSettings settings, IBrevoClient brevo, IBudgetStore? legacy = null, BudgetSettings? ticks = null) =>
        Akka.Actor.Props.Create(() => new BudgetKeeperActor(settings, brevo, legacy ?? new InMemoryBudgetStore(), ticks));

    /// <inheritdoc />
    protected override void PreStart() => Context.System.EventStream.Publish(new MailEvents.KeeperHere(true));

    /// <inheritdoc />
    protected override void PostStop() => Context.System.EventStream.Publish(new MailEvents.KeeperHere(false));

    private void Handle(Subscribe subscribe)
    {
        // Readers subscribe again now and then (a new keeper after a hand-over knows none): tell only a new one.
        if (_readers.Add(subscribe.Reader, Context) && _windowGranted - _windowUsed > 0)
        {
            subscribe.Reader.Tell(new WindowOpened(_window, _windowGranted - _windowUsed, WindowKind.Hourly, _day));
        }
    }

    private void Handle()
    {
        RollDay();
        // What urgent mail borrowed comes out of this window first; a debt larger than a window carries on.
        var owed = Math.Min(_borrowed, _settings.PerHour);
        _borrowed -= owed;
        _windowRepaid = owed;
        OpenWindow(Math.Min(_settings.PerHour - owed, LeftToday), WindowKind.Hourly);
    }

    private void Handle(Reserve reserve)
    {
        RollDay();
        var fromWindow = reserve.Window == _window && _windowUsed < _windowGranted;
        var borrow = !fromWindow && reserve.Urgent && BorrowableNow > 0;
        string? denied = LeftToday <= 0 ? "daily_limit"
            : fromWindow || borrow ? null
            : reserve.Window != _window ? "window_lapsed"
            : reserve.Urgent ? "borrow_limit"
            : "window_spent";
        if (denied is not null)
        {
            Sender.Tell(new ReservationDenied(reserve.Window, reserve.Tag, denied));
            return;
        }

        if (borrow)
        {
            _borrowed++;
        }
        else
        {
            _windowUsed++;
        }

        _leases[LeaseOf(reserve.Tag)] = new KeeperLease(_window, borrow, _day);
        var reader = Sender;
        Save(() => reader.Tell(new Reserved(_window, reserve.Tag, borrow)));
    }

    private int UrgentTokens()
    {
        RollDay();
        var windowLeft = Math.Max(0, _windowGranted - _windowUsed);
        return Math.Min(LeftToday, windowLeft + BorrowableNow);
    }

    /// <summary>
    /// What urgent mail may borrow now: it may run at most <c>MAIL_URGENT_BORROW_WINDOWS</c> windows ahead of the
    /// hourly schedule, and a window whose tokens paid back earlier borrowing counts as ahead until it closes.
    /// </summary>
    private int BorrowableNow => Math.Max(0, _settings.BorrowLimit - _borrowed - _windowRepaid);

    private void Handle(Settle settle)
    {
        RollDay();
        var reader = Sender;
        var key = LeaseOf(settle.Tag);
        if (!_leases.Remove(key, out var lease))
        {
            // Settled already (the reader did not hear back and sent it again), or written off when its window closed.
            reader.Tell(new Settled(settle.Tag));
            return;
        }

        _orphans.Remove(key);
        if (settle.Accepted && settle.Key is { } mail)
        {
            Superseded(mail, key);
        }

        // A lease lent on a day that has ended counted against that day, not this one.
        if (lease.Day == _day)
        {
            Count(settle);
        }

        Save(() => reader.Tell(new Settled(settle.Tag)));
    }

    /// <summary>What a settle of today's token does to the day: a charge, or the token back where it came from.</summary>
    private void Count(Settle settle)
    {
        if (settle.Charged)
        {
            _spent++;
        }
        else if (settle.Borrowed)
        {
            // Nothing was charged: the coming window is owed one token less.
            _borrowed = Math.Max(0, _borrowed - 1);
        }
        else if (settle.Window == _window)
        {
            // Nothing was charged: the token goes back to its window for the next mail.
            _windowUsed = Math.Max(0, _windowUsed - 1);
        }
    }

    /// <summary>Closes the open window (writing off what an earlier incarnation lent, once its grace is over) and opens the next.</summary>
    private void OpenWindow(int tokens, WindowKind kind)
    {
        WriteOffOrphans();
        _window++;
        _windowGranted = Math.Max(0, tokens);
        _windowUsed = 0;
        _log.Info("Window {Window} ({Kind}) opens with {Tokens} tokens; {Spent} spent today, {InFlight} in flight, limit {Limit}",
            _window, kind, _windowGranted, _spent, InFlight, _settings.DailyLimit);
        var opened = new WindowOpened(_window, _windowGranted, kind, _day);
        Save(() =>
        {
            _readers.Tell(opened);
            Context.System.EventStream.Publish(new MailEvents.TokensGranted(kind == WindowKind.Hourly ? "hourly" : "end_of_day", opened.Tokens));
        });
    }

    private void RollDay()
    {
        var today = Today();
        if (today == _day)
        {
            return;
        }

        _log.Info("A new day ({Day}) begins: {Spent} were spent on {PreviousDay}", today, _spent, _day);
        // Leases of the day that ends stay until settled (a settle is acknowledged, and counts nowhere); older ones go.
        foreach (var stale in _leases.Where(l => l.Value.Day < _day).Select(l => l.Key).ToList())
        {
            _leases.Remove(stale);
        }

        _day = today;
        _spent = 0;
        _writtenOff.Clear();
        // Borrowed mail was charged to the day that borrowed it: the new day owes nothing.
        _borrowed = 0;
        _windowRepaid = 0;
    }

    private DateOnly Today() =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(Context.System.Scheduler.Now, _settings.Zone).DateTime);

    private int LeftToday => Math.Max(0, _settings.DailyLimit - _spent - InFlight);

    private BudgetStatus Status() => new(_day, _spent, InFlight, _window, _windowGranted, _windowUsed, _settings.DailyLimit, _borrowed);

    private void Publish()
    {
        var status = Status();
        Context.System.EventStream.Publish(new MailEvents.BudgetChanged(status.Spent, status.LeftToday, status.WindowLeft, status.Borrowed));
        _readers.Tell(new BudgetReport(status.Spent, status.LeftToday, status.WindowLeft, status.Borrowed));
    }
}
