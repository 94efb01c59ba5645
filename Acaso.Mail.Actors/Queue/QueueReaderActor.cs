using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Events;
using Acaso.Mail.Actors.Lifecycle;
using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue.Leases;
using Acaso.Mail.Actors.Queue.Taken;
using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using static Acaso.Mail.Actors.Queue.Leases.LeaseProtocol;
using static Acaso.Mail.Actors.Queue.QueueProtocol;

namespace Acaso.Mail.Actors.Queue;

/// <summary>
/// Takes mail from the queue, one take per token, through the Akka.Streams source it owns (<see cref="QueuePullSource"/>:
/// one take per unit of demand). Its behaviours are its take loop: <see cref="Idle"/>, <see cref="Asking"/> (for a token,
/// or between windows whether urgent mail may borrow one: <see cref="UrgentLane"/> says when), <see cref="Taking"/> (on
/// the token, or a look at the head with none) and <see cref="Draining"/>. A take per leased token keeps the unacked
/// messages no more than the tokens and RabbitMQ's priority order exact at every take, and readers sharing a keeper
/// spend a window once. Its children do the rest: a <see cref="TakenMailActor"/> carries each mail to its end, the
/// <see cref="LeaseHolderActor"/> is all the keeper hears from it, and the <see cref="BrokerHealthActor"/> probes.
/// </summary>
public sealed class QueueReaderActor : ReceiveActor, IWithTimers
{
    private const string PollTimer = "poll";
    private const string UrgentTimer = "urgent";
    private const string LookAgainTimer = "look-again";

    private readonly Func<IMailQueue> _queueFactory;
    private readonly IActorRef _budgetKeeper;
    private readonly ReaderSettings _settings;
    private readonly Func<IMailQueue, IActorRef, TakenMailServices> _servicesOf;
    // Got in the constructor: coordinated shutdown takes no new task once its last phase has begun.
    private readonly ResourceCloser _closer;
    private readonly QuietWaiters _waiters = new();
    private TakenMailServices _services = null!;
    private IMailQueue _queue = null!;
    private IQueueDemand _demand = null!;
    private IActorRef _health = ActorRefs.Nobody;
    private IActorRef _leases = ActorRefs.Nobody;
    // The window whose tokens the reader holds, and the token the take under way holds (none for a look).
    private ReaderWindow _window = new(0, 0);
    private TakeToken? _lease;
    private UrgentLook _urgent = new();
    // Names the mails' actors; they are counted by their last words, as a child's Terminated can overtake what it said.
    private ulong _takes;
    private int _mailsInFlight;

    /// <summary>
    /// Creates the reader; once per incarnation, <paramref name="queueFactory"/> opens its queue and
    /// <paramref name="servicesOf"/> makes what its mails' actors use over that queue and its lease holder.
    /// </summary>
    public QueueReaderActor(Func<IMailQueue> queueFactory, IActorRef budgetKeeper, ReaderSettings settings,
        Func<IMailQueue, IActorRef, TakenMailServices> servicesOf)
    {
        _queueFactory = queueFactory;
        _budgetKeeper = budgetKeeper;
        _settings = settings;
        _servicesOf = servicesOf;
        _closer = ResourceCloser.Get(Context.System);
        Idle();
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for the reader (<see cref="QueueReaderActorHostingExtensions.AddQueueReaderActor"/> composes them).</summary>
    public static Props Props(Func<IMailQueue> queueFactory, IActorRef budgetKeeper, ReaderSettings settings,
        Func<IMailQueue, IActorRef, TakenMailServices> servicesOf) =>
        Akka.Actor.Props.Create(() => new QueueReaderActor(queueFactory, budgetKeeper, settings, servicesOf));

    /// <inheritdoc />
    protected override void PreStart()
    {
        _queue = _queueFactory();
        _leases = Context.ActorOf(LeaseHolderActor.Props(_budgetKeeper, _settings.LeaseBatch), "leases");
        _health = Context.ActorOf(BrokerHealthActor.Props(_queue), "broker-health");
        // A death pact: the reader cannot take without either, so should one stop, the reader fails and starts again whole.
        Context.Watch(_leases);
        Context.Watch(_health);
        _services = _servicesOf(_queue, _leases);
        RunStream();
        // Told from here, not by the holder as it starts, so the keeper has it before anything told after the reader's first answer.
        _budgetKeeper.Tell(new BudgetProtocol.Subscribe(_leases));
        if (_settings.UrgentSignalled)
        {
            // The inbox mover tells this node of each urgent mail it moves; one look now finds what it moved while the service was down.
            Context.System.EventStream.Subscribe(Self, typeof(MailEvents.UrgentMoved));
            Self.Tell(LookDue.Instance);
        }
        else
        {
            Timers.StartPeriodicTimer(UrgentTimer, LookDue.Instance, _settings.UrgentLane.PollInterval);
        }
    }

    /// <inheritdoc />
    protected override void PostStop() =>
        // Closing the connection returns every unacked message to the queue, at its priority.
        _closer.Close(_queue, "the reader's broker connection");

    private void RunStream() => _demand = QueuePullSource.RunTo(Self, _queue, Context.Materializer(), cause => new StreamEnded(cause));

    /// <summary>No take under way. A window's token starts one; between windows a look may.</summary>
    private void Idle()
    {
        Receive<TakeNext>(_ => TakeOrIdle());
        Serving(busy: false);
    }

    /// <summary>The lease holder is asked a token for the next take, or (between windows) whether urgent mail could borrow one.</summary>
    private void Asking()
    {
        Receive<LeaseAnswer>(answer =>
        {
            if (answer.Token is { } token)
            {
                _lease = token;
                _demand.Request(1);
                Become(() => Taking(look: false));
            }
            else if (answer.KeeperPaused)
            {
                // The keeper cannot write its journal: the token goes back to the window, asked again after the poll interval.
                _window = _window.GivenBack(answer.Window);
                WaitForThePoll();
            }
            else
            {
                // Another reader may have leased the window's last tokens: wait for the next.
                _window = _window.Spent(answer.Window);
                TakeOrIdle();
            }
        });
        // No answer (the keeper is moving, or paused): nothing is borrowed this time.
        Receive<UrgentAnswer>(answer => Carry(answer.Capacity is { } capacity
            ? UrgentLane.Answered(_urgent, capacity.Tokens, capacity.Busy, _window.Tokens, _window.Halted, _settings.UrgentLane.Enabled,
                _settings.UrgentSignalled)
            : (_urgent, UrgentStep.Skip)));
        Serving(busy: true);
    }

    /// <summary>One take under way: on a leased token, or (<paramref name="look"/>, between windows) with none, to see the head.</summary>
    private void Taking(bool look)
    {
        Receive<QueuePull.Taken>(taken =>
        {
            StartMail(taken.Message);
            if (!look)
            {
                TakeOrIdle();
            }
        });
        // A look's mail first decides whether the head goes back: the next take waits for that, so the head is in its place.
        Receive<TakenMailProtocol.HeadDecided>(_ => TakeOrIdle());
        Receive<QueuePull.NothingTaken>(nothing => NothingTaken(nothing.Failure, look));
        Serving(busy: true);
    }

    /// <summary>
    /// Shutdown: nothing more is taken, and who asks is answered <see cref="Drained"/> once every mail is settled. A take
    /// or a lease under way when the drain began ends here: a mail taken is handled as any other, a lease unused goes back.
    /// </summary>
    private void Draining()
    {
        Receive<QueuePull.Taken>(taken => StartMail(taken.Message));
        Receive<QueuePull.NothingTaken>(_ => ReturnLease());
        Receive<LeaseAnswer>(answer =>
        {
            _lease = answer.Token;
            ReturnLease();
        });
        Receive<Drain>(asked => WaitForQuiet(asked, answerNow: true));
        Receive<WhenSettled>(asked => WaitForQuiet(asked, answerNow: true));
        Common(busy: false, draining: true);
    }

    /// <summary>What the behaviours that serve share, with a take or a question under way (<paramref name="busy"/>) or not.</summary>
    private void Serving(bool busy)
    {
        Receive<BudgetProtocol.WindowOpened>(opened =>
        {
            _window = ReaderWindow.Of(opened);
            if (busy)
            {
                // Taken on once the take under way is done: a window cannot wait for a take (unlimited mode may never end one).
                _urgent = UrgentLane.WindowOpenedDuringTake(_urgent);
                return;
            }

            _urgent = UrgentLane.WindowOpened(_urgent, _settings.UrgentSignalled);
            Timers.Cancel(PollTimer);
            TakeOrIdle();
        });
        // A look that comes due during a take is made once the take is done.
        Receive<LookDue>(_ => Urgent(UrgentLane.Due(_urgent, busy)));
        Receive<MailEvents.UrgentMoved>(moved => Urgent(UrgentLane.Signalled(_urgent, moved.Count, busy)));
        Receive<TakenMailProtocol.HeadLeft>(_ => Urgent(UrgentLane.HeadLeft(_urgent, _settings.UrgentSignalled, busy)));
        Receive<Drain>(_ =>
        {
            Timers.Cancel(PollTimer);
            _window = _window with { Tokens = 0 };
            Become(Draining);
            Self.Forward(Drain.Instance);
        });
        // With a take under way, the take's end answers.
        Receive<WhenSettled>(asked => WaitForQuiet(asked, answerNow: !busy));
        Common(busy);
    }

    /// <summary>Handlers every behaviour has: the mails' ends and halts, status questions, the stream's end.</summary>
    private void Common(bool busy, bool draining = false)
    {
        Receive<TakenMailProtocol.MailEnded>(ended => MailEnded(ended, busy, draining));
        Receive<TakenMailProtocol.HaltWindow>(halt => _window = _window.Halt(halt.Window));
        Receive<GetStatus>(_ => Sender.Tell(new ReaderStatus(_window.Id, _window.Tokens, _mailsInFlight, draining, busy || _mailsInFlight > 0)));
        // The source emits broker faults rather than failing; should it still end, it is run again and the take under way fails.
        Receive<StreamEnded>(ended =>
        {
            Context.GetLogger().Error(ended.Cause, "The queue stream ended: it is started again");
            RunStream();
            Self.Tell(new QueuePull.NothingTaken(ended.Cause));
        });
    }

    /// <summary>The only place a take starts: with a token left in the window, lease it; otherwise wait in <see cref="Idle"/>.</summary>
    private void TakeOrIdle()
    {
        if (_window.Tokens > 0)
        {
            _window = _window.TakeOne();
            _leases.Tell(new Lease(_window.Id));
            Become(Asking);
        }
        else
        {
            BecomeIdle();
        }
    }

    /// <summary>The only way into <see cref="Idle"/>: answers who waits for quiet, and makes a look that came due meanwhile.</summary>
    private void BecomeIdle()
    {
        Become(Idle);
        AnswerWhenQuiet();
        var (urgent, step) = UrgentLane.Idle(_urgent);
        _urgent = urgent;
        if (step == UrgentStep.Look)
        {
            Self.Tell(LookDue.Instance);
        }
    }

    /// <summary>A look came due: unless a window's tokens are left to take on, the keeper is asked whether urgent mail may borrow.</summary>
    private void Urgent((UrgentLook State, UrgentStep Step) due) =>
        Carry((due.State, due.Step == UrgentStep.Look ? UrgentLane.Ask(_window.Tokens, _mailsInFlight) : UrgentStep.None));

    /// <summary>Carries out the step the urgent lane says is next.</summary>
    private void Carry((UrgentLook State, UrgentStep Step) next)
    {
        _urgent = next.State;
        switch (next.Step)
        {
            case UrgentStep.Look:
                _leases.Tell(AskUrgent.Instance);
                Become(Asking);
                break;
            case UrgentStep.LookAtHead:
                // No token: an urgent mail asks for a lent one, any other goes back. It also refreshes the head's gauges.
                _demand.Request(1);
                Become(() => Taking(look: true));
                break;
            case UrgentStep.LookShortly:
                Timers.StartSingleTimer(LookAgainTimer, LookDue.Instance, UrgentLane.LookAgainAfter);
                TakeOrIdle();
                break;
            case UrgentStep.Take or UrgentStep.Skip:
                // Take: a safety net, a window's tokens never sit idle past a poll.
                TakeOrIdle();
                break;
        }
    }

    /// <summary>A mail just taken goes to an actor of its own, with the token its take held (none for a look).</summary>
    private void StartMail(QueueMessage message)
    {
        _health.Tell(new BrokerHealthActor.Seen(true, null));
        _urgent = UrgentLane.HeadTaken(_urgent, message.Priority, _settings.UrgentLane.Priority);
        Context.System.EventStream.Publish(new MailEvents.QueueHead(message.Priority, message.Remaining + 1));
        var mail = new TakenMail(message, _lease, _window.Id, _window.Halted);
        _lease = null;
        Context.ActorOf(TakenMailActor.Props(mail, _services), TakenMailProtocol.NameOf(++_takes));
        _mailsInFlight++;
    }

    /// <summary>A mail's actor has ended; a token no send charged serves the next mail of its window, if that is still open.</summary>
    private void MailEnded(TakenMailProtocol.MailEnded ended, bool busy, bool draining)
    {
        _mailsInFlight--;
        if (!draining && ended.FreeTokenOf == _window.Id)
        {
            // With a take under way, the token is taken at its end.
            _window = _window.GivenBack(ended.FreeTokenOf);
            if (!busy)
            {
                TakeOrIdle();
            }
        }
        else if (!busy)
        {
            AnswerWhenQuiet();
        }
    }

    /// <summary>A take found nothing: after a look the reader goes on at once, after a take on a token it waits for the poll.</summary>
    private void NothingTaken(Exception? failure, bool look)
    {
        if (failure is null)
        {
            Context.System.EventStream.Publish(new MailEvents.QueueHead(null, 0));
        }
        else
        {
            _health.Tell(new BrokerHealthActor.Seen(false, failure.Message));
        }

        if (look)
        {
            TakeOrIdle();
            return;
        }

        ReturnLease();
        WaitForThePoll();
    }

    private void WaitForThePoll()
    {
        Timers.StartSingleTimer(PollTimer, TakeNext.Instance, _settings.PollInterval);
        BecomeIdle();
    }

    /// <summary>Gives an unused lease back, and its token to the window when the window is still open.</summary>
    private void ReturnLease()
    {
        if (_lease is { } lease)
        {
            _leases.Tell(new GiveBack(lease));
            _window = _window.GivenBack(lease.Window);
            _lease = null;
        }
    }

    private void WaitForQuiet(object asked, bool answerNow)
    {
        _waiters.Add(Sender, asked);
        if (answerNow)
        {
            AnswerWhenQuiet();
        }
    }

    /// <summary>Only called where no take is under way.</summary>
    private void AnswerWhenQuiet() => _waiters.HandOverWhenQuiet(_mailsInFlight, _leases);

    /// <summary>
    /// Stale messages are dropped here: a tick, a signal or an answer that came after what it was for, and while draining
    /// all but the mails' ends. A child's Terminated is not among them: it ends the reader (the death pact).
    /// </summary>
    protected override void Unhandled(object message)
    {
        if (message is not (TakeNext or LookDue or MailEvents.UrgentMoved or UrgentAnswer or BudgetProtocol.WindowOpened
            or TakenMailProtocol.HeadDecided or TakenMailProtocol.HeadLeft))
        {
            base.Unhandled(message);
        }
    }

    /// <summary>A mail's actor that throws is a defect and is stopped, putting its message back and settling its token as it stops.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(
        maxNrOfRetries: -1, withinTimeRange: Timeout.InfiniteTimeSpan, localOnlyDecider: _ => Directive.Stop);

    /// <summary>Take now if a token is free: the poll after an empty or unreachable queue.</summary>
    private sealed record TakeNext
    {
        public static readonly TakeNext Instance = new();
    }

    /// <summary>A look at the head may be due: the urgent poll's tick, or a look put off or made needful since.</summary>
    private sealed record LookDue
    {
        public static readonly LookDue Instance = new();
    }

    /// <summary>The queue stream completed or failed (<paramref name="Cause"/>): it is started again (not after the reader stopped).</summary>
    private sealed record StreamEnded(Exception Cause) : IDeadLetterSuppression;
}
