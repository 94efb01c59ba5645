using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Events;
using Acaso.Mail.Actors.Queue.Leases;
using Acaso.Mail.Actors.Sending;
using Akka.Actor;
using Akka.Event;
using static Acaso.Mail.Actors.Queue.Taken.TakenMailProtocol;

namespace Acaso.Mail.Actors.Queue.Taken;

/// <summary>
/// One mail from its take to its end, a child of the reader that took it: the stores' checks, <see cref="MailFate"/>'s
/// verdict, a token asked of the keeper when it was only looked at, the send, the ledger row, the ack, requeue or dead
/// letter, and its token's settle (handed to the reader's <see cref="LeaseHolderActor"/>). Its behaviours are its steps:
/// <see cref="Checking"/>, <see cref="AwaitingToken"/>, <see cref="Sending"/>, <see cref="Recording"/> and
/// <see cref="Settling"/>; it stops when the broker has its disposition. Should it fail, its token is settled and its
/// message goes back to the queue (<see cref="PostStop"/>).
/// </summary>
public sealed class TakenMailActor : ReceiveActor, IWithTimers
{
    private const string KeeperTimer = "keeper";

    private readonly TakenMail _mail;
    private readonly TakenMailServices _services;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TakenMailStores _stores;
    private ParseResult _parsed;
    private TakeToken? _token;
    // The keeper has been told that this token's send may reach Brevo: from then on it may be charged.
    private bool _spending;
    private bool _tokenSettled;
    private bool _queueSettled;
    // The token went back to its window uncharged: the reader may take the next mail on it.
    private bool _tokenFree;

    /// <summary>Starts with <paramref name="mail"/> just taken.</summary>
    public TakenMailActor(TakenMail mail, TakenMailServices services)
    {
        _mail = mail;
        _services = services;
        _token = mail.Token;
        _tokenSettled = _token is null || !_token.Settles;
        _stores = new TakenMailStores(services, _log, _stopping.Token);
        Checking();
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    private MailRequest? Request => _parsed.Request;

    private EventStream Events => Context.System.EventStream;

    /// <summary>Props for the actor of one mail.</summary>
    public static Props Props(TakenMail mail, TakenMailServices services) =>
        Akka.Actor.Props.Create(() => new TakenMailActor(mail, services));

    /// <inheritdoc />
    protected override void PreStart()
    {
        try
        {
            Begin();
        }
        finally
        {
            if (_mail.Look)
            {
                Context.Parent.Tell(HeadDecided.Instance);
            }
        }
    }

    /// <summary>Reads the mail and takes its first step.</summary>
    private void Begin()
    {
        var message = _mail.Message;
        _parsed = Read();
        if (!_mail.Look)
        {
            // A look is counted a take only once its mail gets a token.
            Events.Publish(new MailEvents.Taken(message.Priority, message.Redelivered));
            if (Request is { } request)
            {
                RememberTaken(request);
            }
        }

        if (Request is not { } taken || (_mail.Look && taken.Priority < _services.Settings.UrgentLane.Priority))
        {
            // Bad input, or a look at mail that is not urgent: it goes back at once, whatever the stores say, so the head
            // is held unacked as briefly as can be (a window opening now still takes it).
            Decide(TakeChecks.None);
            return;
        }

        var checks = _stores.Check(taken, message.Redelivered);
        if (checks is null)
        {
            Decide(TakeChecks.None);
            return;
        }

        checks.PipeTo(Self, failure: _ => Stopping.Instance);
        Become(Checking);
    }

    /// <summary>
    /// The parser never throws on any input (its fuzz spec checks); should a body still find a way, that body is refused
    /// and dead-lettered like any bad one, rather than stopping the mail behind it.
    /// </summary>
    private ParseResult Read()
    {
        var message = _mail.Message;
        try
        {
            return _mail.Read(Context.System.Scheduler.Now, _services.Settings.Contract);
        }
        catch (Exception e)
        {
            _log.Error(e, "The parser threw on a {Bytes}-byte body at priority {Priority}: refused as invalid_json", message.Body.Length, message.Priority);
            return ParseResult.Reject(RejectReasons.InvalidJson, $"the parser could not read it ({e.GetType().Name})");
        }
    }

    /// <summary>The stores are asked whether it was sent already and whether its recipient is suppressed.</summary>
    private void Checking() => Receive<TakeChecks>(Decide);

    /// <summary>What the stores said: <see cref="MailFate"/> decides, and this actor carries it out.</summary>
    private void Decide(TakeChecks checks)
    {
        var message = _mail.Message;
        var request = Request;
        var urgent = request is not null && request.Priority >= _services.Settings.UrgentLane.Priority;
        var verdict = MailFate.OnTaken(_parsed, checks.AlreadySent, checks.Suppressed, _mail.Look, urgent, _mail.WindowHalted);
        if (verdict.Disposition is not { } disposition)
        {
            _services.Memory.Seen(request!.IdempotencyKey, Context.System.Scheduler.Now);
            if (_token is not null)
            {
                Send();
                return;
            }

            // Looked at between windows: an urgent mail asks the keeper for a token (it may borrow one).
            _services.Leases.Tell(new LeaseProtocol.LendToken(_mail.Window, urgent));
            Timers.StartSingleTimer(KeeperTimer, KeeperSilent.Instance, LeaseProtocol.KeeperAnswerTimeout);
            Become(AwaitingToken);
            return;
        }

        // Settled without a send: the token goes back uncharged.
        SettleToken(charged: false);
        switch (disposition)
        {
            case Disposition.DeadLetter:
                _log.Warning("Dead-lettering a message of priority {Priority}: {Reason} ({Detail})", message.Priority, verdict.Reason, verdict.Detail);
                if (checks.Suppressed is { } suppressed)
                {
                    Events.Publish(new MailEvents.Suppressed(suppressed));
                }

                break;
            case Disposition.Ack:
                _log.Info("A redelivered mail of priority {Priority} was already accepted by Brevo: acked, not sent again", message.Priority);
                Events.Publish(new MailEvents.AlreadySent(message.Priority));
                break;
        }

        if (_mail.Look && disposition != Disposition.Requeue)
        {
            Context.Parent.Tell(HeadLeft.Instance);
        }

        SettleQueue(disposition, verdict.Reason, verdict.Detail, verdict.ReturnToken);
    }

    /// <summary>A looked-at urgent mail has asked the keeper for a token.</summary>
    private void AwaitingToken()
    {
        Receive<BudgetProtocol.Reserved>(reserved =>
        {
            Timers.Cancel(KeeperTimer);
            _token = new TakeToken(reserved.Window, reserved.Tag, reserved.Borrowed, reserved.Settles);
            _tokenSettled = !reserved.Settles;
            // A look becomes a take only now: a mail looked at and put back is not counted taken and has no "taken" in its history.
            Events.Publish(new MailEvents.Taken(_mail.Message.Priority, _mail.Message.Redelivered));
            RememberTaken(Request!);
            Send();
            Context.Parent.Tell(HeadLeft.Instance);
        });
        Receive<BudgetProtocol.ReservationDenied>(denied =>
        {
            Timers.Cancel(KeeperTimer);
            _log.Info("No token for a mail of priority {Priority} ({Reason}): it goes back to the queue", _mail.Message.Priority, denied.Reason);
            SettleQueue(Disposition.Requeue, denied.Reason, "", returnToken: false);
        });
        Receive<KeeperSilent>(_ =>
        {
            _log.Warning("The budget keeper did not answer for a mail of priority {Priority}: it goes back to the queue", _mail.Message.Priority);
            SettleQueue(Disposition.Requeue, "keeper_silent", "", returnToken: false);
        });
    }

    /// <summary>
    /// Hands the mail to the MailSenders, first telling the keeper that its token's send may now reach Brevo: should
    /// this mail's actor or its node die before it settles, the keeper counts the token as spent, not as free.
    /// </summary>
    private void Send()
    {
        var token = _token!;
        if (token.Settles)
        {
            _services.Leases.Tell(new BudgetProtocol.Spending(token.Window, token.Tag, Request!.IdempotencyKey));
        }

        _spending = true;
        _services.Senders.Tell(new SendingProtocol.SendMail(_mail.Message.DeliveryTag, BrevoRequestRenderer.Render(Request!, _services.Settings.Render)));
        Become(Sending);
    }

    /// <summary>The MailSenders are sending it.</summary>
    private void Sending() => Receive<SendingProtocol.SendCompleted>(completed =>
    {
        // The verdict waits for the stores (the failed-window count, the ledger row of a sent mail).
        _stores.RecordAsync(Request!, _mail.Message.Redelivered, completed)
            .PipeTo(Self, success: verdict => new Recorded(completed, verdict), failure: _ => Stopping.Instance);
        Become(Recording);
    });

    /// <summary>The send has ended; its outcome is being written down.</summary>
    private void Recording() => Receive<Recorded>(Handle);

    /// <summary>A send's outcome, decided and written down: the token is settled, and then the mail.</summary>
    private void Handle(Recorded recorded)
    {
        var (completed, verdict) = (recorded.Completed, recorded.Verdict);
        var request = Request!;
        var key = request.IdempotencyKey;
        var token = _token!;
        if (verdict.Event == SendEvent.Sent)
        {
            _services.Memory.Recorded(key);
            var messageId = ((Sent)completed.Outcome).MessageId;
            Remember(request, "sent", messageId, ("message_id", messageId), ("window", token.Window), ("attempts", completed.Attempts),
                ("template", (int)request.Template), ("priority", request.Priority));
        }

        SettleToken(verdict.Charged, key, accepted: completed.Outcome is Sent { WasDuplicate: false });
        if (verdict.HaltWindow)
        {
            Context.Parent.Tell(new HaltWindow(token.Window));
        }

        var waited = verdict.Event == SendEvent.Sent ? _services.Memory.Waited(key, Context.System.Scheduler.Now) : TimeSpan.Zero;
        SendReport.Tell(Events, _log, request, completed, verdict, request.Priority >= _services.Settings.UrgentThreshold, token.Borrowed, waited);
        SettleQueue(verdict.Disposition, verdict.Reason, verdict.Detail, verdict.ReturnToken);
    }

    /// <summary>Hands the token's settle to the lease holder, once; nothing to settle for a look with no token or a token spent as lent.</summary>
    private void SettleToken(bool charged, Guid? key = null, bool accepted = false)
    {
        if (_tokenSettled)
        {
            return;
        }

        _tokenSettled = true;
        var token = _token!;
        _services.Leases.Tell(new LeaseProtocol.SettleToken(new BudgetProtocol.Settle(token.Window, token.Tag, charged, token.Borrowed, key, accepted)));
    }

    /// <summary>Tells the broker what becomes of the message; the actor stops once it has.</summary>
    private void SettleQueue(Disposition disposition, string reason, string detail, bool returnToken)
    {
        var message = _mail.Message;
        var task = disposition switch
        {
            Disposition.Ack => _services.Queue.AckAsync(message),
            Disposition.Requeue => _services.Queue.RequeueAsync(message),
            _ => _services.Queue.DeadLetterAsync(message, reason, detail),
        };
        var settled = new QueueSettled(disposition, reason, returnToken, null);
        task.PipeTo(Self, success: () => settled, failure: e => settled with { Failure = e });
        Become(Settling);
    }

    /// <summary>The broker is told the message's disposition.</summary>
    private void Settling() => Receive<QueueSettled>(Handle);

    private void Handle(QueueSettled settled)
    {
        _queueSettled = true;
        var message = _mail.Message;
        if (settled.Failure is not null)
        {
            // The channel is gone: the broker has put the message back and will deliver it again.
            _log.Warning("Could not settle a message of priority {Priority} ({Disposition}): {Error}; it goes back to the queue",
                message.Priority, settled.Disposition, settled.Failure.Message);
            if (settled.Disposition == Disposition.DeadLetter)
            {
                // The copy did not reach the dead-letter queue: keep the original rather than hold it unacked.
                _ = _services.Queue.RequeueAsync(message);
            }
        }
        else if (settled.Disposition == Disposition.DeadLetter)
        {
            Events.Publish(new MailEvents.DeadLettered(settled.Reason, message.Priority));
            if (Request is { } dead)
            {
                _services.Memory.Forget(dead.IdempotencyKey);
                Remember(dead, "dead_lettered", null, ("reason", settled.Reason));
            }
        }

        _tokenFree = settled.ReturnToken && _token is not null;
        Context.Stop(Self);
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        if (!_queueSettled)
        {
            // Stopped before its end (a defect, or the reader stopping): the message goes back to its place, and a token
            // not yet sent on goes back uncharged; one whose send may have reached Brevo is counted, as the keeper counts it.
            _log.Warning("A mail of priority {Priority} was stopped before its end: it goes back to the queue", _mail.Message.Priority);
            _ = _services.Queue.RequeueAsync(_mail.Message);
            SettleToken(charged: _spending);
        }

        Context.Parent.Tell(new MailEnded(_tokenFree ? _token!.Window : null));
    }

    /// <summary>Late or repeated answers no step waits for any more are dropped here; a token granted too late goes back.</summary>
    protected override void Unhandled(object message)
    {
        switch (message)
        {
            case BudgetProtocol.Reserved late:
                // Asked for a mail that went back meanwhile (the keeper was slow), or a second answer: nothing to send on it.
                if (late.Settles)
                {
                    _services.Leases.Tell(new LeaseProtocol.SettleToken(new BudgetProtocol.Settle(late.Window, late.Tag, Charged: false, late.Borrowed)));
                }

                break;
            case BudgetProtocol.ReservationDenied or KeeperSilent or Stopping:
                break;
            default:
                base.Unhandled(message);
                break;
        }
    }

    private void RememberTaken(MailRequest request) =>
        Remember(request, "taken", null, ("priority", request.Priority), ("template", (int)request.Template));

    /// <summary>Tells the Delivery actor a line of the mail's history (no-op without one).</summary>
    private void Remember(MailRequest request, string kind, string? messageId, params (string Name, object? Value)[] fields) =>
        _services.Delivery?.Remember(Context.System.Scheduler.Now, request, kind, messageId, fields);

    /// <summary>A send's outcome, decided and written down.</summary>
    private sealed record Recorded(SendingProtocol.SendCompleted Completed, SendVerdict Verdict);

    /// <summary>What the broker said of the message's disposition. One that comes after the actor stopped tells nobody anything, and is no dead letter (its line would print the exception's stack).</summary>
    private sealed record QueueSettled(Disposition Disposition, string Reason, bool ReturnToken, Exception? Failure) : IDeadLetterSuppression;

    /// <summary>The keeper did not answer the looked-at mail's request for a token in time.</summary>
    private sealed record KeeperSilent : IDeadLetterSuppression
    {
        public static readonly KeeperSilent Instance = new();
    }

    /// <summary>A store call given up because the actor is stopping.</summary>
    private sealed record Stopping
    {
        public static readonly Stopping Instance = new();
    }
}
