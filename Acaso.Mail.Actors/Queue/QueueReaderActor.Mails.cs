using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Events;
using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue.Taken;
using Akka.Actor;
using static Acaso.Mail.Actors.Queue.QueueProtocol;

namespace Acaso.Mail.Actors.Queue;

/// <summary>
/// The reader's mails: each one taken goes to a <see cref="TakenMailActor"/> of its own, which carries it to its end
/// and tells the reader what changes the take loop (a token free again, a window halted, a looked-at head gone). Each
/// token's settle with the keeper is a <see cref="TokenSettleActor"/>. The reader finds either by its tag to hand it the
/// keeper's answers, and is quiet when neither kind is left.
/// </summary>
public sealed partial class QueueReaderActor
{
    private readonly List<IActorRef> _drainWaiters = [];
    private readonly List<IActorRef> _settledWaiters = [];
    // Counted by the children's own last words, not by their termination: a child's Terminated can overtake what it
    // said before it (system messages go first), and the reader would say it is quiet before a freed token is taken.
    private int _mailsInFlight;
    private int _settlesUnacknowledged;

    private bool Quiet => _mailsInFlight == 0 && _settlesUnacknowledged == 0;

    /// <summary>A mail just taken: <paramref name="token"/> is the one its take held (none for a look between windows).</summary>
    private void StartMail(QueueMessage message, TakeToken? token)
    {
        _health.Tell(new BrokerHealthActor.Seen(true, null));
        _urgent = UrgentLane.HeadTaken(_urgent, message.Priority, _settings.UrgentLane.Priority);

        Context.System.EventStream.Publish(new MailEvents.QueueHead(message.Priority, message.Remaining + 1));
        var tag = ++_tags;
        var mail = new TakenMail(message, tag, token, _window.Id, _window.Halted);
        Context.ActorOf(TakenMailActor.Props(mail, _services), TakenMailProtocol.NameOf(tag));
        _mailsInFlight++;
    }

    /// <summary>Hands the keeper's answer about a looked-at mail to its actor; <paramref name="orElse"/> when it has ended.</summary>
    private void ToMail(ulong tag, object answer, Action? orElse = null)
    {
        var mail = Context.Child(TakenMailProtocol.NameOf(tag));
        if (!mail.IsNobody())
        {
            mail.Tell(answer);
        }
        else
        {
            orElse?.Invoke();
        }
    }

    /// <summary>A token granted that nothing will be sent on (a lease given up on, a mail ended meanwhile): it goes back uncharged.</summary>
    private void GiveBack(BudgetProtocol.Reserved reserved)
    {
        if (reserved.Settles)
        {
            StartSettle(new BudgetProtocol.Settle(reserved.Window, reserved.Tag, Charged: false, reserved.Borrowed));
        }
    }

    /// <summary>Settles a token with the keeper until it acknowledges; a token is settled once.</summary>
    private void StartSettle(BudgetProtocol.Settle settle)
    {
        var name = TokenSettleActor.NameOf(settle.Tag);
        if (Context.Child(name).IsNobody())
        {
            // Told from here, so it reaches the keeper before the next lease this reader asks: a token given back by a
            // mail is granted again at once. Its actor sends it again until it is acknowledged.
            _budgetKeeper.Tell(settle);
            Context.ActorOf(TokenSettleActor.Props(_budgetKeeper, settle), name);
            _settlesUnacknowledged++;
        }
    }

    /// <summary>
    /// A mail's actor has ended. A token no send charged serves the next mail of its window, if that is still open;
    /// the take waits for a behaviour with no take under way.
    /// </summary>
    private void MailEnded(TakenMailProtocol.MailEnded ended)
    {
        _mailsInFlight--;
        if (ended.FreeTokenOf == _window.Id)
        {
            _window = _window with { Tokens = _window.Tokens + 1 };
            Self.Tell(TakeNext.Instance);
        }

        SettledSoFar();
    }

    private void TokenSettled()
    {
        _settlesUnacknowledged--;
        SettledSoFar();
    }

    private void SettledSoFar()
    {
        ReplyDrainedWhenSettled();
        if (Quiet)
        {
            // Behind a TakeNext a mail may have sent: only a behaviour with no take under way answers it.
            Self.Tell(QuietCheck.Instance);
        }
    }

    /// <summary>Answers <see cref="WhenSettled"/> when no mail and no settle is left; only called where no take is under way.</summary>
    private void ReplyWhenQuiet()
    {
        if (!Quiet)
        {
            return;
        }

        foreach (var waiter in _settledWaiters)
        {
            waiter.Tell(QueueProtocol.Settled.Instance);
        }

        _settledWaiters.Clear();
    }

    private void ReplyDrainedWhenSettled()
    {
        if (!Quiet)
        {
            return;
        }

        foreach (var waiter in _drainWaiters)
        {
            waiter.Tell(Drained.Instance);
        }

        _drainWaiters.Clear();
    }

    /// <summary>
    /// Stale messages the behaviour under way does not want are dropped here: a timer or a question's answer that came
    /// after what it was for (a keeper that answered late, a take already made, a look given up for a drain), a tick
    /// or a signal while a take is under way (the take's end looks again), and everything but the end of the mails
    /// in flight while draining.
    /// </summary>
    protected override void Unhandled(object message)
    {
        if (message is not (KeeperSilent or TakeNext or UrgentTick or LookAgain or QuietCheck or MailEvents.UrgentMoved
            or BudgetProtocol.UrgentCapacity or BudgetProtocol.WindowOpened or TakenMailProtocol.HeadDecided))
        {
            base.Unhandled(message);
        }
    }

    /// <summary>
    /// A child that throws is a defect and is stopped, and the reader goes on with the rest: a mail's actor puts its
    /// message back and settles its token as it stops.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(
        maxNrOfRetries: -1,
        withinTimeRange: Timeout.InfiniteTimeSpan,
        localOnlyDecider: cause => Directive.Stop);
}
