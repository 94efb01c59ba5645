using Acaso.Mail.Actors.Events;
using Acaso.Mail.Actors.Settings;
using Akka.Actor;
using Akka.Event;
using static Acaso.Mail.Actors.Budget.BudgetProtocol;

namespace Acaso.Mail.Actors.Budget;

/// <summary>
/// Unlimited mode's keeper (paid plans): no daily cap and no hourly schedule, only a pace. Every second it opens a
/// window of <c>MAIL_RATE_PER_SECOND</c> tokens (in a cluster, the cluster's rate: it is the singleton). Readers
/// lease them in batches and settle none of them: a token counts as spent when it is lent, and what a reader does not
/// use lapses with its window. Nothing is borrowed (a window a second is already at most a second away) and nothing
/// is stored (there is no day to protect).
/// </summary>
public sealed class RateKeeperActor : ReceiveActor, IWithTimers
{
    private const string RateTimer = "rate";

    private readonly BudgetSettings _settings;
    private readonly ReaderSubscriptions _readers = new();
    private long _window;
    private int _granted;
    private int _used;
    private int _spent;

    /// <summary>Creates the keeper; it paces at <see cref="BudgetSettings.RatePerSecond"/>.</summary>
    public RateKeeperActor(BudgetSettings settings)
    {
        _settings = settings;
        Receive<Subscribe>(subscribe =>
        {
            if (_readers.Add(subscribe.Reader))
            {
                Context.Watch(subscribe.Reader);
            }

            if (_granted > _used)
            {
                subscribe.Reader.Tell(new WindowOpened(_window, _granted - _used, WindowKind.Hourly, Today()));
            }
        });
        Receive<Terminated>(terminated => _readers.Remove(terminated.ActorRef));
        Receive<RateTick>(_ => OpenWindow());
        Receive<Reserve>(Handle);
        Receive<Settle>(Handle);
        Receive<CanSendUrgent>(_ => Sender.Tell(new UrgentCapacity(_window, Math.Max(0, _granted - _used))));
        Receive<WhenStarted>(_ => Sender.Tell(KeeperStarted.Instance));
        Receive<GetStatus>(_ => Sender.Tell(Status()));
        // The daily ticks mean nothing here: the pace is the only schedule.
        Receive<HourlyTick>(_ => { });
        Receive<EndOfDayTick>(_ => { });
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for the keeper.</summary>
    public static Props Props(BudgetSettings settings) => Akka.Actor.Props.Create(() => new RateKeeperActor(settings));

    /// <inheritdoc />
    protected override void PreStart()
    {
        Context.GetLogger().Info("Unlimited mode: {Rate} sends a second, no daily limit", _settings.RatePerSecond);
        Self.Tell(RateTick.Instance);
        Timers.StartPeriodicTimer(RateTimer, RateTick.Instance, TimeSpan.FromSeconds(1));
        Context.System.EventStream.Publish(new MailEvents.KeeperHere(true));
    }

    /// <inheritdoc />
    protected override void PostStop() => Context.System.EventStream.Publish(new MailEvents.KeeperHere(false));

    private void OpenWindow()
    {
        _window++;
        _granted = _settings.RatePerSecond;
        _used = 0;
        _readers.Tell(new WindowOpened(_window, _granted, WindowKind.Hourly, Today()));
        Context.System.EventStream.Publish(new MailEvents.TokensGranted("rate", _granted));
    }

    private void Handle(Reserve reserve)
    {
        if (reserve.Window != _window || _used >= _granted)
        {
            Sender.Tell(new ReservationDenied(reserve.Window, reserve.Tag, reserve.Window != _window ? "window_lapsed" : "window_spent"));
            return;
        }

        // A batch: the rate is all that is kept here, so tokens count as spent as they are lent, and the reader sends no
        // settle for them. What it does not use lapses with the window, as any window's leftover does.
        var lent = Math.Min(Math.Max(1, reserve.Count), _granted - _used);
        _used += lent;
        _spent += lent;
        Sender.Tell(new Reserved(_window, reserve.Tag, Count: lent, Settles: false));
    }

    /// <summary>Tokens lent here are spent as they are lent (<see cref="Reserved.Settles"/> is false): a settle is only acknowledged.</summary>
    private void Handle(Settle settle) => Sender.Tell(new Settled(settle.Tag));

    private DateOnly Today() => DateOnly.FromDateTime(Context.System.Scheduler.Now.UtcDateTime);

    private BudgetStatus Status() => new(Today(), _spent, 0, _window, _granted, _used, int.MaxValue);

    private sealed record RateTick
    {
        public static readonly RateTick Instance = new();
    }
}
