using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Events;
using Acaso.Mail.Actors.Settings;
using Akka.Actor;
using Akka.Hosting;
using Akka.Event;
using static Acaso.Mail.Actors.Budget.BudgetProtocol;

namespace Acaso.Mail.Actors.Budget;

/// <summary>
/// Daily mode's budget (the free plan) and its only authority. Ticks open windows of tokens; the reader reserves a token
/// before each send and settles it after. It never lets the day spend past its limit: charged tokens and tokens in
/// flight both count. Today's charged count is written to an <see cref="IBudgetStore"/> at every charge and read
/// back at start, then cross-checked with Brevo's remaining credits, so a restart cannot spend the day twice. A new
/// day (midnight in the configured zone, read from the actor system's scheduler clock) resets the count.
/// </summary>
public sealed class BudgetKeeperActor : ReceiveActor, IWithStash
{
    /// <summary>How long Brevo's account may take to answer before the keeper goes on with its own count.</summary>
    private static readonly TimeSpan AccountTimeout = TimeSpan.FromSeconds(10);

    private readonly BudgetSettings _settings;
    private readonly IBrevoClient _brevo;
    private readonly IBudgetStore _store;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ReaderSubscriptions _readers = new();
    private DateOnly _day;
    private int _spent;
    private int _inFlight;
    private long _window;
    private int _windowGranted;
    private int _windowUsed;
    private int _borrowed;
    // Tokens of the current window that went to pay back earlier borrowing: until the window closes, urgent mail
    // is still that far ahead of the hourly schedule.
    private int _windowRepaid;

    /// <summary>Creates the keeper; <paramref name="brevo"/> answers the end-of-day credit question.</summary>
    public BudgetKeeperActor(BudgetSettings settings, IBrevoClient brevo, IBudgetStore store)
    {
        _settings = settings;
        _brevo = brevo;
        _store = store;
        _day = Today();
        _spent = store.LoadSpent(_day);
        Starting();
    }

    /// <inheritdoc />
    public IStash Stash { get; set; } = null!;

    /// <summary>
    /// Until Brevo's credits are read at start, nothing is granted: a send under way would race the cross-check.
    /// Everything but status questions waits in the stash, <see cref="WhenStarted"/> included.
    /// </summary>
    private void Starting()
    {
        Receive<CreditsAtStart>(read =>
        {
            Handle(read);
            Become(Ready);
            Stash.UnstashAll();
        });
        Receive<GetStatus>(_ => Sender.Tell(Status() with { Started = false }));
        ReceiveAny(_ => Stash.Stash());
    }

    private void Ready()
    {
        Receive<Subscribe>(Handle);
        Receive<Terminated>(terminated => _readers.Remove(terminated.ActorRef));
        Receive<HourlyTick>(_ => Handle());
        Receive<EndOfDayTick>(_ => HandleEndOfDay());
        Receive<CreditsRead>(Handle);
        Receive<Reserve>(Handle);
        Receive<Settle>(Handle);
        Receive<GetStatus>(_ => Sender.Tell(Status()));
        Receive<WhenStarted>(_ => Sender.Tell(KeeperStarted.Instance));
        Receive<CanSendUrgent>(_ => Sender.Tell(new UrgentCapacity(_window, UrgentTokens())));
    }

    /// <summary>Props for the keeper.</summary>
    public static Props Props(BudgetSettings settings, IBrevoClient brevo, IBudgetStore? store = null) =>
        Akka.Actor.Props.Create(() => new BudgetKeeperActor(settings, brevo, store ?? new InMemoryBudgetStore()));

    /// <inheritdoc />
    protected override void PreStart()
    {
        if (_spent > 0)
        {
            _log.Info("{Spent} mails were already charged today ({Day}): the day goes on from there", _spent, _day);
        }

        ReadCredits((day, credits) => new CreditsAtStart(day, credits));
    }

    /// <summary>Asks Brevo for today's credits and sends the answer (null when it cannot say) to itself as <typeparamref name="T"/>.</summary>
    private void ReadCredits<T>(Func<DateOnly, int?, T> answer)
    {
        var day = _day;
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

    private void Handle(CreditsAtStart read)
    {
        RollDay();
        if (read.Day != _day || read.Credits is not { } credits || credits >= _settings.DailyLimit - _spent)
        {
            return;
        }

        // Brevo has charged more today than this service remembers (a lost state dir, another sender): Brevo wins.
        var charged = _settings.DailyLimit - credits;
        _log.Info("Brevo reports {Credits} credits left: counting {Charged} charged today instead of {Spent}", credits, charged, _spent);
        _spent = charged;
        _store.SaveSpent(_day, _spent);
        Publish();
    }

    private void Handle(Subscribe subscribe)
    {
        _readers.Add(subscribe.Reader, Context);
        if (_windowGranted - _windowUsed > 0)
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

    private void HandleEndOfDay()
    {
        RollDay();
        ReadCredits((day, credits) => new CreditsRead(day, credits));
    }

    private void Handle(CreditsRead read)
    {
        RollDay();
        if (read.Day != _day)
        {
            return;
        }

        var left = LeftToday;
        if (read.Credits is null)
        {
            _log.Warning("Brevo's account could not be read; the end-of-day window uses the service's own count ({Left} left)", left);
        }
        else if (read.Credits < left)
        {
            _log.Info("Brevo reports {Credits} credits left, fewer than the {Left} counted here: Brevo wins", read.Credits, left);
        }

        _windowRepaid = 0;
        OpenWindow(read.Credits is { } credits ? Math.Min(credits, left) : left, WindowKind.EndOfDay);
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

        _inFlight++;
        Sender.Tell(new Reserved(_window, reserve.Tag, borrow));
        Publish();
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
        _inFlight = Math.Max(0, _inFlight - 1);
        if (settle.Charged)
        {
            _spent++;
            // The daily count is what a restart must not forget.
            _store.SaveSpent(_day, _spent);
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

        Publish();
    }

    private void OpenWindow(int tokens, WindowKind kind)
    {
        _window++;
        _windowGranted = Math.Max(0, tokens);
        _windowUsed = 0;
        _log.Info("Window {Window} ({Kind}) opens with {Tokens} tokens; {Spent} spent today, {InFlight} in flight, limit {Limit}",
            _window, kind, _windowGranted, _spent, _inFlight, _settings.DailyLimit);
        _readers.Tell(new WindowOpened(_window, _windowGranted, kind, _day));
        Context.System.EventStream.Publish(new MailEvents.TokensGranted(kind == WindowKind.Hourly ? "hourly" : "end_of_day", _windowGranted));
        Publish();
    }

    private void RollDay()
    {
        var today = Today();
        if (today == _day)
        {
            return;
        }

        _log.Info("A new day ({Day}) begins: {Spent} were spent on {PreviousDay}", today, _spent, _day);
        _day = today;
        _spent = _store.LoadSpent(today);
        // Borrowed mail was charged to the day that borrowed it: the new day owes nothing.
        _borrowed = 0;
        _windowRepaid = 0;
    }

    private DateOnly Today() =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(Context.System.Scheduler.Now, _settings.Zone).DateTime);

    private int LeftToday => Math.Max(0, _settings.DailyLimit - _spent - _inFlight);

    private BudgetStatus Status() => new(_day, _spent, _inFlight, _window, _windowGranted, _windowUsed, _settings.DailyLimit, _borrowed);

    private void Publish()
    {
        var status = Status();
        Context.System.EventStream.Publish(new MailEvents.BudgetChanged(status.Spent, status.LeftToday, status.WindowLeft, status.Borrowed));
    }

    /// <summary>Brevo's answer to the end-of-day credit question.</summary>
    private sealed record CreditsRead(DateOnly Day, int? Credits);

    /// <summary>Brevo's credits at start, to cross-check the stored count.</summary>
    private sealed record CreditsAtStart(DateOnly Day, int? Credits);
}
