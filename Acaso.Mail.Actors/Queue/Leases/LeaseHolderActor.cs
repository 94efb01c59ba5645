using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Events;
using Akka.Actor;
using Akka.Event;
using static Acaso.Mail.Actors.Queue.Leases.LeaseProtocol;

namespace Acaso.Mail.Actors.Queue.Leases;

/// <summary>
/// The reader's side of the budget keeper, a child of the reader. Everything the keeper is told on the reader's behalf
/// goes out from here, so the keeper knows all of this reader's leases by one path: this actor's, which it watches as
/// the reader's subscription and which dies with the reader. It asks for each take's lease (again, under a new tag,
/// when the keeper is silent), serves the rest of a batch lease, asks whether urgent mail may borrow, asks a lent token
/// for a looked-at mail and hands the answer to it, tells the keeper of a send that may reach Brevo, and settles each
/// token until the keeper acknowledges it (a <see cref="TokenSettleActor"/> child each). It passes the keeper's windows
/// on to the reader and its reports to the node's gauges. An answer nobody waits for any more is a stray: a token
/// granted on one goes back uncharged.
/// </summary>
public sealed class LeaseHolderActor : ReceiveActor, IWithTimers
{
    private const string KeeperTimer = "keeper";
    private const string SubscribeTimer = "subscribe";

    private readonly IActorRef _keeper;
    private readonly int _leaseBatch;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    // The looked-at mails waiting for a lent token, by the tag it was asked under.
    private readonly Dictionary<ulong, IActorRef> _lending = [];
    // Who waits for every settle to be acknowledged, and what each is answered.
    private readonly List<(IActorRef Waiter, object Reply)> _waiters = [];
    // Every tag the keeper knows this reader's tokens by comes from this one count.
    private ulong _tags;
    // The reader's one question under way: a lease (its window and tag) or the urgent one; an answer to another is a stray.
    private Question? _asked;
    // Tokens of a batch lease not yet used: they serve takes of their window without asking the keeper.
    private LeasePool? _pool;
    private int _settling;
    private bool _keeperPaused;

    /// <summary>Holds the leases of the parent reader with <paramref name="keeper"/>, asking <paramref name="leaseBatch"/> tokens at once.</summary>
    public LeaseHolderActor(IActorRef keeper, int leaseBatch)
    {
        _keeper = keeper;
        _leaseBatch = leaseBatch;
        Receive<Lease>(Handle);
        Receive<GiveBack>(back => GiveBackToken(back.Token));
        Receive<AskUrgent>(_ =>
        {
            _asked = new Question(Window: 0, Tag: 0);
            _keeper.Tell(BudgetProtocol.CanSendUrgent.Instance);
            Timers.StartSingleTimer(KeeperTimer, new KeeperSilent(0), KeeperAnswerTimeout);
        });
        Receive<LendToken>(lend =>
        {
            var tag = ++_tags;
            _lending[tag] = Sender;
            // A mail that ends before the answer no longer takes it: the token then goes back as a stray.
            Context.Watch(Sender);
            _keeper.Tell(new BudgetProtocol.Reserve(lend.Window, tag, lend.Urgent));
        });
        Receive<Terminated>(ended =>
        {
            foreach (var tag in _lending.Where(asked => asked.Value.Equals(ended.ActorRef)).Select(asked => asked.Key).ToList())
            {
                _lending.Remove(tag);
            }
        });
        Receive<BudgetProtocol.Spending>(spending => _keeper.Tell(spending));
        Receive<SettleToken>(settle => StartSettle(settle.Settle));
        Receive<BudgetProtocol.Reserved>(Handle);
        Receive<BudgetProtocol.ReservationDenied>(Handle);
        Receive<BudgetProtocol.UrgentCapacity>(capacity => AnswerUrgent(capacity));
        Receive<BudgetProtocol.KeeperPaused>(_ => Paused());
        Receive<KeeperSilent>(Handle);
        Receive<BudgetProtocol.Settled>(settled => Context.Child(TokenSettleActor.NameOf(settled.Tag)).Tell(settled));
        Receive<TokenSettleActor.Acknowledged>(_ =>
        {
            _settling--;
            AnswerWaiters();
        });
        Receive<QueueProtocol.WhenSettled>(_ => Wait(QueueProtocol.Settled.Instance));
        Receive<QueueProtocol.Drain>(_ => Wait(QueueProtocol.Drained.Instance));
        Receive<BudgetProtocol.WindowOpened>(opened => Context.Parent.Tell(opened));
        // The keeper's view of the budget, for this node's gauges (the keeper may run on another node).
        Receive<BudgetProtocol.BudgetReport>(report => Context.System.EventStream.Publish(
            new MailEvents.BudgetChanged(report.Spent, report.LeftToday, report.WindowLeft, report.Borrowed)));
        // Subscribing again is idempotent for the keeper; after a hand-over (the keeper moved to another node and knows
        // no readers) it is how this reader hears of the next window.
        Receive<Resubscribe>(_ => _keeper.Tell(new BudgetProtocol.Subscribe(Self)));
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for the holder of one reader's leases; the reader subscribes it to <paramref name="keeper"/> as it starts.</summary>
    public static Props Props(IActorRef keeper, int leaseBatch) => Akka.Actor.Props.Create(() => new LeaseHolderActor(keeper, leaseBatch));

    /// <inheritdoc />
    protected override void PreStart() => Timers.StartPeriodicTimer(SubscribeTimer, Resubscribe.Instance, BrokerHealthActor.ProbeInterval);

    private void Handle(Lease lease)
    {
        if (_pool is { Tokens: > 0 } pool && pool.Window == lease.Window)
        {
            // A token of the batch leased before: no need to ask the keeper.
            _pool = pool with { Tokens = pool.Tokens - 1 };
            Context.Parent.Tell(new LeaseAnswer(lease.Window, new TakeToken(pool.Window, pool.Tag, Borrowed: false, Settles: false)));
            return;
        }

        Ask(lease.Window);
    }

    private void Ask(long window)
    {
        _asked = new Question(window, ++_tags);
        _keeper.Tell(new BudgetProtocol.Reserve(window, _asked.Tag, Count: _leaseBatch));
        Timers.StartSingleTimer(KeeperTimer, new KeeperSilent(_asked.Tag), KeeperAnswerTimeout);
    }

    private void Handle(BudgetProtocol.Reserved reserved)
    {
        if (IsLeaseAnswer(reserved.Tag))
        {
            Answered();
            _keeperPaused = false;
            // The rest of a batch waits for the next takes of the same window (it lapses with it).
            _pool = reserved.Count > 1 ? new LeasePool(reserved.Window, reserved.Tag, reserved.Count - 1) : null;
            Context.Parent.Tell(new LeaseAnswer(reserved.Window, new TakeToken(reserved.Window, reserved.Tag, reserved.Borrowed, reserved.Settles)));
        }
        else if (!HandToLookedAtMail(reserved.Tag, reserved) && reserved.Settles)
        {
            // Granted on a question given up (the keeper answered late), or to a mail that has ended: nothing will be sent on it.
            StartSettle(new BudgetProtocol.Settle(reserved.Window, reserved.Tag, Charged: false, reserved.Borrowed));
        }
    }

    private void Handle(BudgetProtocol.ReservationDenied denied)
    {
        if (IsLeaseAnswer(denied.Tag))
        {
            // The window is spent (another reader leased its last tokens), has lapsed, or the day is spent.
            Answered();
            Context.Parent.Tell(new LeaseAnswer(denied.Window, Token: null));
        }
        else
        {
            HandToLookedAtMail(denied.Tag, denied);
        }
    }

    /// <summary>
    /// Hands the keeper's <paramref name="answer"/> to the looked-at mail that asked under <paramref name="tag"/> (a token it
    /// no longer wants, it gives back itself); false when none waits.
    /// </summary>
    private bool HandToLookedAtMail(ulong tag, object answer)
    {
        if (!_lending.Remove(tag, out var mail))
        {
            return false;
        }

        Context.Unwatch(mail);
        mail.Tell(answer);
        return true;
    }

    private void Handle(KeeperSilent silent)
    {
        if (_asked is not { } asked || asked.Tag != silent.Tag)
        {
            return;
        }

        if (asked.Tag == 0)
        {
            // The keeper did not answer the urgent question (it may be moving): nothing is borrowed this time.
            AnswerUrgent(capacity: null);
            return;
        }

        // Asked of a keeper that has gone (a node lost, a hand-over under way): ask again, under a new tag. A late
        // answer to the old one is a stray and goes back uncharged.
        _log.Warning("The budget keeper did not answer a lease within {Timeout}: asking again", KeeperAnswerTimeout);
        Ask(asked.Window);
    }

    /// <summary>
    /// The keeper cannot write its journal (the database is away): the question under way is answered with nothing, and
    /// the reader asks again after its poll interval. A settle is sent again until acknowledged, a subscription on the
    /// next timer, and a looked-at mail goes back to the queue when its question times out.
    /// </summary>
    private void Paused()
    {
        if (!_keeperPaused)
        {
            _keeperPaused = true;
            _log.Warning("The budget keeper is paused (its journal cannot be written): nothing is taken until it grants again");
        }

        switch (_asked)
        {
            case { Tag: 0 }:
                AnswerUrgent(capacity: null);
                break;
            case { } asked:
                Answered();
                Context.Parent.Tell(new LeaseAnswer(asked.Window, Token: null, KeeperPaused: true));
                break;
        }
    }

    private void AnswerUrgent(BudgetProtocol.UrgentCapacity? capacity)
    {
        if (_asked is { Tag: 0 })
        {
            Answered();
            Context.Parent.Tell(new UrgentAnswer(capacity));
        }
    }

    private void Answered()
    {
        Timers.Cancel(KeeperTimer);
        _asked = null;
    }

    /// <summary>The tag is the lease asked last (earlier ones were given up on: their late answers are strays).</summary>
    private bool IsLeaseAnswer(ulong tag) => tag != 0 && _asked?.Tag == tag;

    /// <summary>Gives an unused lease back: to the batch it came from, or to the keeper.</summary>
    private void GiveBackToken(TakeToken token)
    {
        if (!token.Settles && _pool is { } pool && pool.Window == token.Window)
        {
            _pool = pool with { Tokens = pool.Tokens + 1 };
        }

        if (token.Settles)
        {
            StartSettle(new BudgetProtocol.Settle(token.Window, token.Tag, Charged: false, token.Borrowed));
        }
    }

    /// <summary>Settles a token with the keeper until it acknowledges; a token is settled once.</summary>
    private void StartSettle(BudgetProtocol.Settle settle)
    {
        var name = TokenSettleActor.NameOf(settle.Tag);
        if (Context.Child(name).IsNobody())
        {
            // Told from here at once, so it reaches the keeper before the next lease: a token given back by a mail is
            // granted again at once. Its actor sends it again until it is acknowledged.
            _keeper.Tell(settle);
            Context.ActorOf(TokenSettleActor.Props(_keeper, settle), name);
            _settling++;
        }
    }

    private void Wait(object reply)
    {
        _waiters.Add((Sender, reply));
        AnswerWaiters();
    }

    private void AnswerWaiters()
    {
        if (_settling > 0)
        {
            return;
        }

        foreach (var (waiter, reply) in _waiters)
        {
            waiter.Tell(reply);
        }

        _waiters.Clear();
    }

    /// <summary>The reader's question under way: a lease of <paramref name="Window"/> under <paramref name="Tag"/>, or (tag 0) the urgent one.</summary>
    private sealed record Question(long Window, ulong Tag);

    /// <summary>Tokens of a batch lease not yet used.</summary>
    private sealed record LeasePool(long Window, ulong Tag, int Tokens);

    /// <summary>The keeper did not answer the question asked under <paramref name="Tag"/> in time.</summary>
    private sealed record KeeperSilent(ulong Tag) : IDeadLetterSuppression;

    /// <summary>Time to subscribe to the keeper again.</summary>
    private sealed record Resubscribe : IDeadLetterSuppression
    {
        public static readonly Resubscribe Instance = new();
    }
}
