using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Delivery;
using Acaso.Mail.Actors.Events;
using Acaso.Mail.Actors.Lifecycle;
using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue.Taken;
using Acaso.Mail.Actors.Queue.Stores;
using Acaso.Mail.Actors.Sending;
using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using Akka.Streams;
using Akka.Streams.Dsl;
using static Acaso.Mail.Actors.Queue.QueueProtocol;

namespace Acaso.Mail.Actors.Queue;

/// <summary>
/// Owns the queue connection and the Akka.Streams graph that takes from it, materialised in <see cref="PreStart"/>
/// so the stream dies with the actor. Its take loop is a set of behaviours: <see cref="Idle"/> (no take under way),
/// <see cref="Leasing"/> (a token for the next take is asked of the keeper), <see cref="Taking"/> (one take on a
/// leased token), <see cref="AskingUrgent"/> and <see cref="Looking"/> (between windows: may an urgent mail borrow a
/// token, and a take with none to see the head), and <see cref="Draining"/> (shutdown). It takes only on a leased
/// token, so there are never more unacknowledged messages than tokens, RabbitMQ's priority order holds at every take,
/// and readers sharing a keeper spend a window once (<c>QueueReaderActor.Leasing.cs</c>). Each mail taken is carried to
/// its end by a child of its own, a <see cref="TakenMailActor"/> (<c>QueueReaderActor.Mails.cs</c>): the reader keeps
/// its tokens and counts, not a table of every mail's progress.
/// </summary>
public sealed partial class QueueReaderActor : ReceiveActor, IWithTimers, IWithStash
{
    private const string PollTimer = "poll";
    private const string SubscribeTimer = "subscribe";
    private const string UrgentTimer = "urgent";
    private const string KeeperTimer = "keeper";
    private const string LookAgainTimer = "look-again";

    /// <summary>How soon a look put off by another reader's take is tried again (a take is one basic.get).</summary>
    private static readonly TimeSpan LookAgainAfter = TimeSpan.FromMilliseconds(200);

    /// <summary>How long the keeper may take to answer before the reader asks again (a lease) or gives up (an urgent question).</summary>
    private static readonly TimeSpan KeeperAnswerTimeout = TakenMailProtocol.KeeperAnswerTimeout;
    // Between windows the reader stops looking for urgent mail while this many mails are still unsettled.
    private const int MaxUnsettledForUrgentLook = 64;

    private readonly Func<IMailQueue> _queueFactory;
    private readonly IActorRef _budgetKeeper;
    private readonly IActorRef _senders;
    private readonly ReaderSettings _settings;
    private readonly IFailedWindowStore _failedWindows;
    private readonly ISentLedger? _sentLedger;
    private readonly ReaderDelivery? _delivery;
    private readonly ResourceCloser _closer;
    // What every mail's actor uses; made with the queue, once an incarnation.
    private TakenMailServices _services = null!;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IMailQueue _queue = null!;
    private IQueueDemand _demand = null!;
    // The broker's health, probed by a child; what it last said, for the status.
    private IActorRef _health = ActorRefs.Nobody;
    private bool _connected;
    // The window whose tokens the reader holds: the one value the take loop needs beside its behaviour.
    private ReaderWindow _window = new(0, 0);
    // When to look at the head between windows (the policy is UrgentLane's).
    private UrgentLook _urgent = new();

    /// <summary>Creates the reader; <paramref name="queueFactory"/> is called once per incarnation.</summary>
    public QueueReaderActor(Func<IMailQueue> queueFactory, IActorRef budgetKeeper, IActorRef senders, ReaderSettings settings,
        IFailedWindowStore failedWindows, ISentLedger? sentLedger = null, ReaderDelivery? delivery = null)
    {
        _delivery = delivery;
        _queueFactory = queueFactory;
        _failedWindows = failedWindows;
        _sentLedger = sentLedger;
        _budgetKeeper = budgetKeeper;
        _senders = senders;
        _settings = settings;
        _closer = ResourceCloser.Get(Context.System);
        Idle();
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    public IStash Stash { get; set; } = null!;

    /// <summary>
    /// Props for the reader; without a <paramref name="failedWindows"/> store the counts are kept in memory, and without
    /// a <paramref name="sentLedger"/> only Brevo's idempotency key stops a repeat after a crash.
    /// </summary>
    public static Props Props(Func<IMailQueue> queueFactory, IActorRef budgetKeeper, IActorRef senders, ReaderSettings settings,
        IFailedWindowStore? failedWindows = null, ISentLedger? sentLedger = null, ReaderDelivery? delivery = null) =>
        Akka.Actor.Props.Create(() => new QueueReaderActor(queueFactory, budgetKeeper, senders, settings,
            failedWindows ?? new InMemoryFailedWindowStore(), sentLedger, delivery));

    /// <inheritdoc />
    protected override void PreStart()
    {
        _queue = _queueFactory();
        _services = new TakenMailServices(_queue, _budgetKeeper, _senders, _settings, _failedWindows, _sentLedger, _delivery, new TakenMailMemory());
        _demand = RunStream();
        _health = Context.ActorOf(BrokerHealthActor.Props(_queue), "broker-health");
        _budgetKeeper.Tell(new BudgetProtocol.Subscribe(Self));
        // Subscribing again is idempotent for the keeper; after a hand-over (the keeper moved to another node and knows
        // no readers) it is how this reader hears of the next window.
        Timers.StartPeriodicTimer(SubscribeTimer, Resubscribe.Instance, BrokerHealthActor.ProbeInterval);
        if (_settings.UrgentSignalled)
        {
            // The inbox mover tells this node of each urgent mail it moves; one look now finds what the shovel moved
            // while the service was down.
            Context.System.EventStream.Subscribe(Self, typeof(MailEvents.UrgentMoved));
            Self.Tell(UrgentTick.Instance);
        }
        else
        {
            Timers.StartPeriodicTimer(UrgentTimer, UrgentTick.Instance, _settings.UrgentLane.PollInterval);
        }
    }

    private IQueueDemand RunStream() =>
        Source.FromGraph(new QueuePullSource(_queue))
            .To(Sink.ActorRef<QueuePull>(Self, new StreamEnded(new InvalidOperationException("the queue stream completed")), e => new StreamEnded(e)))
            .Run(Context.Materializer());

    private void RestartStream(Exception cause)
    {
        _log.Error(cause, "The queue stream ended: it is started again");
        _demand = RunStream();
        Self.Tell(new QueuePull.Failed(cause));
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        // Closing the connection returns every unacked message to the queue, at its priority.
        _closer.Close(_queue, "the reader's broker connection");
    }

    /// <summary>No take under way. A window's token starts one; between windows the urgent tick asks the keeper.</summary>
    private void Idle()
    {
        Receive<BudgetProtocol.WindowOpened>(OpenWindow);
        Receive<TakeNext>(_ => TakeOrIdle());
        Receive<UrgentTick>(_ => Urgent(UrgentLane.Due(_urgent, busy: false)));
        Receive<LookAgain>(_ => Urgent(UrgentLane.Due(_urgent, busy: false)));
        Receive<MailEvents.UrgentMoved>(moved => Urgent(UrgentLane.Signalled(_urgent, moved.Count, busy: false)));
        Receive<Drain>(_ => StartDraining());
        Receive<WhenSettled>(_ =>
        {
            _settledWaiters.Add(Sender);
            ReplyWhenQuiet();
        });
        Receive<QuietCheck>(_ => ReplyWhenQuiet());
        Common(busy: false);
    }

    /// <summary>Carries out what the urgent lane (<see cref="UrgentLane"/>) says is due now.</summary>
    private void Urgent((UrgentLook State, UrgentStep Step) next)
    {
        _urgent = next.State;
        if (next.Step != UrgentStep.Look)
        {
            return;
        }

        switch (UrgentLane.Ask(_window.Tokens, _mailsInFlight, MaxUnsettledForUrgentLook))
        {
            case UrgentStep.Take:
                // A safety net: a window's tokens never sit idle past a poll.
                TakeOrIdle();
                break;
            case UrgentStep.Look:
                // Between windows: may an urgent mail borrow a token now? Then a look at the head.
                _budgetKeeper.Tell(BudgetProtocol.CanSendUrgent.Instance);
                Timers.StartSingleTimer(KeeperTimer, new KeeperSilent(0), KeeperAnswerTimeout);
                Become(AskingUrgent);
                break;
        }
    }

    /// <summary>One take on a token leased from the keeper is under way.</summary>
    private void Taking()
    {
        Receive<QueuePull.Taken>(taken =>
        {
            StartMail(taken.Message, TakeLease());
            TakeOrIdle();
        });
        Receive<QueuePull.Empty>(_ => NothingTaken(null));
        Receive<QueuePull.Failed>(failed => NothingTaken(failed.Cause));
        // A new window cannot wait for the take (in unlimited mode the reader may never run out of tokens); the take's
        // lease belongs to the window that granted it.
        Receive<BudgetProtocol.WindowOpened>(opened =>
        {
            _window = new ReaderWindow(opened.Window, opened.Tokens);
            _urgent = UrgentLane.WindowOpenedDuringTake(_urgent);
        });
        WaitForTheTake();
    }

    /// <summary>Between windows: the keeper is asked whether an urgent mail could get a token now.</summary>
    private void AskingUrgent()
    {
        // The keeper did not answer (it may be moving) or is paused: nothing is borrowed this time.
        Receive<KeeperSilent>(_ => TakeOrIdle());
        Receive<BudgetProtocol.KeeperPaused>(_ =>
        {
            Timers.Cancel(KeeperTimer);
            KeeperIsPaused();
            TakeOrIdle();
        });
        Receive<BudgetProtocol.UrgentCapacity>(capacity =>
        {
            Timers.Cancel(KeeperTimer);
            var (urgent, step) = UrgentLane.Answered(_urgent, capacity.Tokens, capacity.Busy, _window.Tokens, _window.Halted,
                _settings.UrgentLane.Enabled, _settings.UrgentSignalled);
            _urgent = urgent;
            switch (step)
            {
                case UrgentStep.LookAtHead:
                    // The take uses no token: the mail goes only if it is urgent and the keeper lends it one; else it is
                    // requeued. Once a window it also refreshes what the metrics know of the queue head.
                    _demand.Request(1);
                    Become(Looking);
                    break;
                case UrgentStep.LookShortly:
                    Timers.StartSingleTimer(LookAgainTimer, LookAgain.Instance, LookAgainAfter);
                    TakeOrIdle();
                    break;
                default:
                    TakeOrIdle();
                    break;
            }
        });
        WaitForTheTake();
    }

    /// <summary>Between windows: a take with no token is looking at the queue head.</summary>
    private void Looking()
    {
        // The look's mail goes to an actor of its own; the next take waits until it has put the head back, if it does.
        Receive<QueuePull.Taken>(taken => StartMail(taken.Message, token: null));
        Receive<TakenMailProtocol.HeadDecided>(_ => TakeOrIdle());
        Receive<QueuePull.Empty>(_ =>
        {
            Context.System.EventStream.Publish(new MailEvents.QueueHead(null, 0));
            TakeOrIdle();
        });
        Receive<QueuePull.Failed>(failed =>
        {
            _health.Tell(new BrokerHealthActor.Seen(false, failed.Cause.Message));
            TakeOrIdle();
        });
        WaitForTheTake();
    }

    /// <summary>
    /// Shutdown: nothing more is taken; <see cref="Drained"/> goes out once every mail in flight is settled. A take or a
    /// lease still under way when the drain began ends here: a mail taken is handled as any other, a lease unused goes back.
    /// </summary>
    private void Draining()
    {
        Receive<QueuePull.Taken>(taken => StartMail(taken.Message, TakeLease()));
        Receive<QueuePull.Empty>(_ => ReturnLease());
        Receive<QueuePull.Failed>(_ => ReturnLease());
        Receive<BudgetProtocol.Reserved>(reserved => IsLeaseAnswer(reserved.Tag), GiveBack);
        Receive<Drain>(_ =>
        {
            _drainWaiters.Add(Sender);
            ReplyDrainedWhenSettled();
        });
        Receive<WhenSettled>(_ =>
        {
            _settledWaiters.Add(Sender);
            ReplyWhenQuiet();
        });
        Receive<QuietCheck>(_ => ReplyWhenQuiet());
        Common(busy: false, draining: true);
    }

    /// <summary>What every behaviour that waits for a take or an answer shares: the rest waits in the stash.</summary>
    private void WaitForTheTake()
    {
        Receive<BudgetProtocol.WindowOpened>(_ => Stash.Stash());
        Receive<Drain>(_ => StartDraining());
        Receive<WhenSettled>(_ => _settledWaiters.Add(Sender));
        // A look that comes due now is made once the take under way is done.
        Receive<LookAgain>(_ => Urgent(UrgentLane.Due(_urgent, busy: true)));
        Receive<MailEvents.UrgentMoved>(moved => Urgent(UrgentLane.Signalled(_urgent, moved.Count, busy: true)));
        Common(busy: true);
    }

    /// <summary>Handlers every behaviour has: the mail in flight, the broker's health, status questions, the stream's end.</summary>
    private void Common(bool busy, bool draining = false)
    {
        // The keeper's answers about a mail go to that mail's actor, and its acknowledgements to the token's settle.
        Receive<BudgetProtocol.Reserved>(reserved => ToMail(reserved.Tag, reserved, orElse: () => GiveBack(reserved)));
        Receive<BudgetProtocol.ReservationDenied>(denied => ToMail(denied.Tag, denied));
        Receive<BudgetProtocol.Settled>(settled => Context.Child(TokenSettleActor.NameOf(settled.Tag)).Tell(settled));
        Receive<TakenMailProtocol.SettleToken>(settle => StartSettle(settle.Settle));
        Receive<TakenMailProtocol.MailEnded>(MailEnded);
        Receive<TakenMailProtocol.TokenSettled>(_ => TokenSettled());
        Receive<TakenMailProtocol.HaltWindow>(halt =>
        {
            if (halt.Window == _window.Id)
            {
                _window = _window with { Tokens = 0, Halted = true };
            }
        });
        Receive<TakenMailProtocol.HeadLeft>(_ =>
        {
            if (UrgentLane.HeadLeft(_urgent, _settings.UrgentSignalled) == UrgentStep.Look)
            {
                Self.Tell(LookAgain.Instance);
            }
        });
        // Paused while a settle, a subscription or a looked-at mail's token was asked: the settle is sent again until
        // acknowledged, the subscription on the next probe, and the mail goes back to the queue when its answer times out.
        Receive<BudgetProtocol.KeeperPaused>(_ => KeeperIsPaused());
        // The keeper's view of the budget, for this node's gauges (the keeper may run on another node).
        Receive<BudgetProtocol.BudgetReport>(report => Context.System.EventStream.Publish(
            new MailEvents.BudgetChanged(report.Spent, report.LeftToday, report.WindowLeft, report.Borrowed)));
        Receive<BrokerHealthActor.Changed>(changed => _connected = changed.Connected);
        Receive<Resubscribe>(_ => _budgetKeeper.Tell(new BudgetProtocol.Subscribe(Self)));
        Receive<GetStatus>(_ => Sender.Tell(new ReaderStatus(_window.Id, _window.Tokens, _mailsInFlight, _connected, draining,
            Busy: busy || _mailsInFlight > 0)));
        // The source emits broker faults rather than failing, so neither should happen; should one, the stream is built
        // again over the same queue and the take under way, if any, ends as a failed one: the reader and its mail stay.
        Receive<StreamEnded>(ended => RestartStream(ended.Cause));
    }
}

/// <summary>Registers the QueueReader.</summary>
public static class QueueReaderActorHostingExtensions
{
    /// <summary>
    /// Starts the reader over the budget keeper and the MailSenders already registered; with <paramref name="deliveryStore"/>,
    /// it reads the suppression list there and tells the Delivery actor (registered before it) each mail's history.
    /// </summary>
    public static AkkaConfigurationBuilder AddQueueReaderActor(this AkkaConfigurationBuilder builder,
        Func<IMailQueue> queueFactory, ReaderSettings settings, IFailedWindowStore? failedWindows = null, ISentLedger? sentLedger = null,
        IDeliveryStore? deliveryStore = null) =>
        builder.WithActors((system, registry) =>
        {
            var delivery = deliveryStore is null ? null : new ReaderDelivery(deliveryStore, registry.Get<DeliveryActor>());
            var props = QueueReaderActor.Props(queueFactory, registry.Get<BudgetKeeper>(), registry.Get<MailSendersActor>(), settings,
                failedWindows, sentLedger, delivery);
            var supervisor = system.ActorOf(QueueReaderSupervisorActor.Props(props), "queue-reader");
            var reader = supervisor.Ask<IActorRef>(QueueReaderSupervisorActor.GetReader.Instance, TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
            registry.Register<QueueReaderActor>(reader);
        });
}
