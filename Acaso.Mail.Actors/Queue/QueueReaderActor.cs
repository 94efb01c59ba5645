using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Events;
using Acaso.Mail.Actors.Lifecycle;
using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue.Leases;
using Acaso.Mail.Actors.Queue.Stores;
using Acaso.Mail.Actors.Queue.Taken;
using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using Akka.Streams.Dsl;
using static Acaso.Mail.Actors.Queue.Leases.LeaseProtocol;
using static Acaso.Mail.Actors.Queue.QueueProtocol;

namespace Acaso.Mail.Actors.Queue;

/// <summary>
/// Takes mail from the queue, one take per token, and does nothing else. It owns the queue connection and the
/// Akka.Streams graph that takes from it (<see cref="QueuePullSource"/>, one element per unit of demand), materialised in
/// <see cref="PreStart"/> so the stream dies with the actor. Its behaviours are its take loop: <see cref="Idle"/>,
/// <see cref="Leasing"/> (a token for the next take is asked), <see cref="Taking"/> (one take on it),
/// <see cref="AskingUrgent"/> and <see cref="Looking"/> (between windows: may an urgent mail borrow a token, and a take
/// with none to see the head; <see cref="UrgentLane"/> says when) and <see cref="Draining"/> (shutdown). Because it
/// takes only on a leased token, there are never more unacknowledged messages than tokens, RabbitMQ's priority order
/// holds at every take, and readers sharing a keeper spend a window once. Its children do the rest: each mail taken is
/// carried to its end by a <see cref="TakenMailActor"/> of its own, everything the keeper hears goes through the
/// <see cref="LeaseHolderActor"/>, and the <see cref="BrokerHealthActor"/> probes the broker.
/// </summary>
public sealed class QueueReaderActor : ReceiveActor, IWithTimers, IWithStash
{
    private const string PollTimer = "poll";
    private const string UrgentTimer = "urgent";
    private const string LookAgainTimer = "look-again";

    /// <summary>How soon a look put off by another reader's take is tried again (a take is one basic.get).</summary>
    private static readonly TimeSpan LookAgainAfter = TimeSpan.FromMilliseconds(200);

    // Between windows the reader stops looking for urgent mail while this many mails are still under way.
    private const int MaxInFlightForUrgentLook = 64;

    private readonly Func<IMailQueue> _queueFactory;
    private readonly IActorRef _budgetKeeper;
    private readonly IActorRef _senders;
    private readonly ReaderSettings _settings;
    private readonly IFailedWindowStore _failedWindows;
    private readonly ISentLedger? _sentLedger;
    private readonly ReaderDelivery? _delivery;
    private readonly ResourceCloser _closer;
    // Who waits for the reader to be quiet, and what they asked (WhenSettled or Drain): the holder answers once every settle is acknowledged.
    private readonly List<(IActorRef Waiter, object Asked)> _waiters = [];
    private TakenMailServices _services = null!;
    private IMailQueue _queue = null!;
    private IQueueDemand _demand = null!;
    private IActorRef _health = ActorRefs.Nobody;
    private IActorRef _leases = ActorRefs.Nobody;
    // The window whose tokens the reader holds, and the token the take under way holds (none for a look).
    private ReaderWindow _window = new(0, 0);
    private TakeToken? _lease;
    // When to look at the head between windows (the policy is UrgentLane's).
    private UrgentLook _urgent = new();
    // Names the mails' actors. They are counted by their own last words, not by their termination: a child's Terminated
    // can overtake what it said before it (system messages go first).
    private ulong _takes;
    private int _mailsInFlight;

    /// <summary>Creates the reader; <paramref name="queueFactory"/> is called once per incarnation.</summary>
    public QueueReaderActor(Func<IMailQueue> queueFactory, IActorRef budgetKeeper, IActorRef senders, ReaderSettings settings,
        IFailedWindowStore failedWindows, ISentLedger? sentLedger = null, ReaderDelivery? delivery = null)
    {
        _queueFactory = queueFactory;
        _budgetKeeper = budgetKeeper;
        _senders = senders;
        _settings = settings;
        _failedWindows = failedWindows;
        _sentLedger = sentLedger;
        _delivery = delivery;
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
        _leases = Context.ActorOf(LeaseHolderActor.Props(_budgetKeeper, _settings.LeaseBatch), "leases");
        _health = Context.ActorOf(BrokerHealthActor.Props(_queue), "broker-health");
        // A death pact: the reader cannot take without either, so should one stop, the reader fails and starts again whole.
        Context.Watch(_leases);
        Context.Watch(_health);
        _services = new TakenMailServices(_queue, _leases, _senders, _settings, _failedWindows, _sentLedger, _delivery, new TakenMailMemory());
        _demand = RunStream();
        // Told from here rather than by the holder as it starts, so once the reader has answered a first question the
        // keeper has its subscription (MailActors.StartedAsync counts on it).
        _budgetKeeper.Tell(new BudgetProtocol.Subscribe(_leases));
        if (_settings.UrgentSignalled)
        {
            // The inbox mover tells this node of each urgent mail it moves; one look now finds what the shovel moved
            // while the service was down.
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

    private IQueueDemand RunStream() =>
        Source.FromGraph(new QueuePullSource(_queue))
            .To(Sink.ActorRef<QueuePull>(Self, new StreamEnded(new InvalidOperationException("the queue stream completed")), e => new StreamEnded(e)))
            .Run(Context.Materializer());

    /// <summary>No take under way. A window's token starts one; between windows a look may.</summary>
    private void Idle()
    {
        Receive<BudgetProtocol.WindowOpened>(opened =>
        {
            // The previous window's unused tokens lapse: the keeper has already stopped counting them.
            _window = new ReaderWindow(opened.Window, opened.Tokens);
            _urgent = UrgentLane.WindowOpened(_urgent, _settings.UrgentSignalled);
            Timers.Cancel(PollTimer);
            TakeOrIdle();
        });
        Receive<TakeNext>(_ => TakeOrIdle());
        Receive<LookDue>(_ => Urgent(UrgentLane.Due(_urgent, busy: false)));
        Receive<MailEvents.UrgentMoved>(moved => Urgent(UrgentLane.Signalled(_urgent, moved.Count, busy: false)));
        Receive<Drain>(_ => StartDraining());
        Receive<WhenSettled>(asked => WaitForQuiet(asked));
        Common(busy: false);
    }

    /// <summary>A token for the next take is asked of the lease holder.</summary>
    private void Leasing()
    {
        Receive<LeaseAnswer>(answer =>
        {
            if (answer.Token is { } token)
            {
                _lease = token;
                _demand.Request(1);
                Become(Taking);
            }
            else if (answer.KeeperPaused)
            {
                // The keeper cannot write its journal: the token goes back to the window, and is asked again after the poll interval.
                _window = _window with { Tokens = _window.Tokens + 1 };
                Timers.StartSingleTimer(PollTimer, TakeNext.Instance, _settings.PollInterval);
                Stash.UnstashAll();
                BecomeIdle();
            }
            else
            {
                // The window is spent (another reader leased its last tokens), has lapsed, or the day is spent: wait for the next.
                if (answer.Window == _window.Id)
                {
                    _window = _window with { Tokens = 0 };
                }

                TakeOrIdle();
            }
        });
        // A lease asked of the old window is refused as lapsed; the new window's tokens are leased after it.
        Receive<BudgetProtocol.WindowOpened>(WindowOpenedDuringTake);
        Busy();
    }

    /// <summary>One take on a leased token is under way.</summary>
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
        Receive<BudgetProtocol.WindowOpened>(WindowOpenedDuringTake);
        Busy();
    }

    /// <summary>Between windows: the keeper is asked whether an urgent mail could get a token now.</summary>
    private void AskingUrgent()
    {
        Receive<UrgentAnswer>(answer =>
        {
            // No answer (the keeper is moving, or paused): nothing is borrowed this time.
            var (urgent, step) = answer.Capacity is { } capacity
                ? UrgentLane.Answered(_urgent, capacity.Tokens, capacity.Busy, _window.Tokens, _window.Halted,
                    _settings.UrgentLane.Enabled, _settings.UrgentSignalled)
                : (_urgent, UrgentStep.Skip);
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
                    Timers.StartSingleTimer(LookAgainTimer, LookDue.Instance, LookAgainAfter);
                    TakeOrIdle();
                    break;
                default:
                    TakeOrIdle();
                    break;
            }
        });
        Busy();
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
        Busy();
    }

    /// <summary>
    /// Shutdown: nothing more is taken, and who asks is answered <see cref="Drained"/> once every mail is settled. A take
    /// or a lease still under way when the drain began ends here: a mail taken is handled as any other, a lease unused goes back.
    /// </summary>
    private void Draining()
    {
        Receive<QueuePull.Taken>(taken => StartMail(taken.Message, TakeLease()));
        Receive<QueuePull.Empty>(_ => ReturnLease());
        Receive<QueuePull.Failed>(_ => ReturnLease());
        Receive<LeaseAnswer>(answer =>
        {
            if (answer.Token is { } token)
            {
                _leases.Tell(new GiveBack(token));
            }
        });
        Receive<Drain>(asked => WaitForQuiet(asked));
        Receive<WhenSettled>(asked => WaitForQuiet(asked));
        Common(busy: false, draining: true);
    }

    /// <summary>What every behaviour with a take or a question under way shares: the rest waits in the stash, or for the take's end.</summary>
    private void Busy()
    {
        Receive<BudgetProtocol.WindowOpened>(_ => Stash.Stash());
        Receive<Drain>(_ => StartDraining());
        Receive<WhenSettled>(asked => _waiters.Add((Sender, asked)));
        // A look that comes due now is made once the take under way is done.
        Receive<LookDue>(_ => Urgent(UrgentLane.Due(_urgent, busy: true)));
        Receive<MailEvents.UrgentMoved>(moved => Urgent(UrgentLane.Signalled(_urgent, moved.Count, busy: true)));
        Common(busy: true);
    }

    /// <summary>Handlers every behaviour has: what the mails say, status questions, the stream's end.</summary>
    private void Common(bool busy, bool draining = false)
    {
        Receive<TakenMailProtocol.MailEnded>(ended => MailEnded(ended, busy, draining));
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
                Self.Tell(LookDue.Instance);
            }
        });
        Receive<GetStatus>(_ => Sender.Tell(new ReaderStatus(_window.Id, _window.Tokens, _mailsInFlight, draining,
            Busy: busy || _mailsInFlight > 0)));
        // The source emits broker faults rather than failing, so neither should happen; should one, the stream is built
        // again over the same queue, and the take under way, if any, ends as a failed one: the reader and its mail stay.
        Receive<StreamEnded>(ended =>
        {
            Context.GetLogger().Error(ended.Cause, "The queue stream ended: it is started again");
            _demand = RunStream();
            Self.Tell(new QueuePull.Failed(ended.Cause));
        });
    }

    /// <summary>The only place a take starts: with a token left in the window, lease it; otherwise wait in <see cref="Idle"/>.</summary>
    private void TakeOrIdle()
    {
        Stash.UnstashAll();
        if (_window.Tokens > 0)
        {
            _window = _window with { Tokens = _window.Tokens - 1 };
            _leases.Tell(new Lease(_window.Id));
            Become(Leasing);
        }
        else
        {
            BecomeIdle();
        }
    }

    /// <summary>
    /// The only way into <see cref="Idle"/>: answers who waits for quiet, and makes the look that came due while a take
    /// was under way (an urgent mail moved in meanwhile, or a window just spent).
    /// </summary>
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

    /// <summary>Carries out what the urgent lane says is due now.</summary>
    private void Urgent((UrgentLook State, UrgentStep Step) next)
    {
        _urgent = next.State;
        if (next.Step != UrgentStep.Look)
        {
            return;
        }

        switch (UrgentLane.Ask(_window.Tokens, _mailsInFlight, MaxInFlightForUrgentLook))
        {
            case UrgentStep.Take:
                // A safety net: a window's tokens never sit idle past a poll.
                TakeOrIdle();
                break;
            case UrgentStep.Look:
                _leases.Tell(AskUrgent.Instance);
                Become(AskingUrgent);
                break;
        }
    }

    private void WindowOpenedDuringTake(BudgetProtocol.WindowOpened opened)
    {
        _window = new ReaderWindow(opened.Window, opened.Tokens);
        _urgent = UrgentLane.WindowOpenedDuringTake(_urgent);
    }

    /// <summary>A mail just taken goes to an actor of its own, with the <paramref name="token"/> its take held (none for a look).</summary>
    private void StartMail(QueueMessage message, TakeToken? token)
    {
        _health.Tell(new BrokerHealthActor.Seen(true, null));
        _urgent = UrgentLane.HeadTaken(_urgent, message.Priority, _settings.UrgentLane.Priority);
        Context.System.EventStream.Publish(new MailEvents.QueueHead(message.Priority, message.Remaining + 1));
        var mail = new TakenMail(message, token, _window.Id, _window.Halted);
        Context.ActorOf(TakenMailActor.Props(mail, _services), TakenMailProtocol.NameOf(++_takes));
        _mailsInFlight++;
    }

    /// <summary>
    /// A mail's actor has ended. A token no send charged serves the next mail of its window, if that is still open; with a
    /// take under way, at that take's end.
    /// </summary>
    private void MailEnded(TakenMailProtocol.MailEnded ended, bool busy, bool draining)
    {
        _mailsInFlight--;
        var freed = !draining && ended.FreeTokenOf == _window.Id;
        if (freed)
        {
            _window = _window with { Tokens = _window.Tokens + 1 };
        }

        if (busy)
        {
            return;
        }

        if (freed && !draining)
        {
            TakeOrIdle();
        }
        else
        {
            AnswerWhenQuiet();
        }
    }

    private void NothingTaken(Exception? failure)
    {
        if (failure is null)
        {
            Context.System.EventStream.Publish(new MailEvents.QueueHead(null, 0));
        }
        else
        {
            _health.Tell(new BrokerHealthActor.Seen(false, failure.Message));
        }

        // The lease goes back and the token to the window; the queue is asked again after the poll interval.
        ReturnLease();
        Timers.StartSingleTimer(PollTimer, TakeNext.Instance, _settings.PollInterval);
        Stash.UnstashAll();
        BecomeIdle();
    }

    /// <summary>The lease the take under way held, now the mail's (or null after a look).</summary>
    private TakeToken? TakeLease()
    {
        var lease = _lease;
        _lease = null;
        return lease;
    }

    /// <summary>Gives an unused lease back, and its token to the window when the window is still open.</summary>
    private void ReturnLease()
    {
        if (TakeLease() is not { } lease)
        {
            return;
        }

        _leases.Tell(new GiveBack(lease));
        if (lease.Window == _window.Id)
        {
            _window = _window with { Tokens = _window.Tokens + 1 };
        }
    }

    private void StartDraining()
    {
        Timers.Cancel(PollTimer);
        _window = _window with { Tokens = 0 };
        Become(Draining);
        Self.Forward(Drain.Instance);
    }

    private void WaitForQuiet(object asked)
    {
        _waiters.Add((Sender, asked));
        AnswerWhenQuiet();
    }

    /// <summary>
    /// With no mail under way, who waits for quiet is handed to the lease holder, which answers once the last settle is
    /// acknowledged (it has every settle a mail sent before its end). Only called where no take is under way.
    /// </summary>
    private void AnswerWhenQuiet()
    {
        if (_mailsInFlight > 0)
        {
            return;
        }

        foreach (var (waiter, asked) in _waiters)
        {
            _leases.Tell(asked, waiter);
        }

        _waiters.Clear();
    }

    /// <summary>
    /// Stale messages the behaviour under way does not want are dropped here: a tick, a signal or an answer that came
    /// after what it was for (a take already made, a look given up for a drain), and everything but the end of the
    /// mails under way while draining. A child's Terminated is not among them: it ends the reader (a death pact).
    /// </summary>
    protected override void Unhandled(object message)
    {
        if (message is not (TakeNext or LookDue or MailEvents.UrgentMoved or UrgentAnswer or BudgetProtocol.WindowOpened
            or TakenMailProtocol.HeadDecided))
        {
            base.Unhandled(message);
        }
    }

    /// <summary>
    /// A mail's actor that throws is a defect and is stopped, and the reader goes on with the rest: it puts its message
    /// back and settles its token as it stops.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(
        maxNrOfRetries: -1, withinTimeRange: Timeout.InfiniteTimeSpan, localOnlyDecider: _ => Directive.Stop);

    /// <summary>The window the reader holds tokens of: its id, tokens not yet used for a take, and whether Brevo failed in it (the rest waits).</summary>
    private sealed record ReaderWindow(long Id, int Tokens, bool Halted = false);

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

    /// <summary>The queue stream completed or failed (<paramref name="Cause"/>): it is started again.</summary>
    private sealed record StreamEnded(Exception Cause);
}
