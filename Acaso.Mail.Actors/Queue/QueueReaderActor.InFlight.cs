using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Delivery;
using Acaso.Mail.Actors.Events;
using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue.Stores;
using Acaso.Mail.Actors.Sending;
using Akka.Actor;
using Akka.Event;
using static Acaso.Mail.Actors.Queue.QueueProtocol;

namespace Acaso.Mail.Actors.Queue;

/// <summary>
/// The reader's mail in flight, whatever its take loop is doing: each mail taken is decided by <see cref="MailFate"/>,
/// reserves its token, goes to a MailSender, and is settled (ack, requeue, dead-letter) exactly once.
/// </summary>
public sealed partial class QueueReaderActor
{
    private readonly Dictionary<ulong, InFlight> _inFlight = [];
    private readonly List<IActorRef> _drainWaiters = [];
    private readonly List<IActorRef> _settledWaiters = [];
    // Windows in which Brevo kept failing, by idempotency key (SQLite in the service, so a restart keeps the count).
    private readonly IFailedWindowStore _failedWindows;
    // Keys Brevo accepted, so a redelivery after a crash is not sent again (daily mode in the service; else none).
    private readonly ISentLedger? _sentLedger;
    // The suppression list to read before a token is reserved, and where each mail's history goes (none in some specs).
    private readonly ReaderDelivery? _delivery;
    // When the service first saw each mail, for the queue-wait histogram (the producer sets no timestamp).
    private readonly Dictionary<Guid, DateTimeOffset> _firstSeen = [];

    /// <summary>
    /// The parser never throws on any input (its fuzz spec checks); should a body still find a way, that body is
    /// refused and dead-lettered like any bad one, rather than stopping the reader with the mail behind it.
    /// </summary>
    private ParseResult Parse(QueueMessage message)
    {
        try
        {
            return MailRequestParser.Parse(message.Body, message.Priority, Context.System.Scheduler.Now, _settings.Contract);
        }
        catch (Exception e)
        {
            _log.Error(e, "The parser threw on a {Bytes}-byte body at priority {Priority}: refused as invalid_json", message.Body.Length, message.Priority);
            return ParseResult.Reject(RejectReasons.InvalidJson, $"the parser could not read it ({e.GetType().Name})");
        }
    }

    /// <summary>
    /// A mail just taken: <paramref name="lease"/> is the token its take held (none for a look between windows). What
    /// the stores know of it (a redelivery already sent, a suppressed recipient) is asked off this thread
    /// (<c>QueueReaderActor.Stores.cs</c>); the mail is in flight, its token held, until <see cref="Decide"/> has the answer.
    /// </summary>
    private void Handle(QueueMessage message, bool look, Lease? lease)
    {
        SetConnected(true, null);
        var events = Context.System.EventStream;
        if (!look)
        {
            // A look is counted a take only once its mail gets a token (see the Reserved handler).
            events.Publish(new MailEvents.Taken(message.Priority, message.Redelivered));
        }

        if (message.Priority >= _settings.UrgentLane.Priority)
        {
            _urgentExpected = Math.Max(0, _urgentExpected - 1);
        }
        else
        {
            // The head is not urgent: no urgent mail waits behind it.
            _urgentExpected = 0;
        }

        events.Publish(new MailEvents.QueueHead(message.Priority, message.Remaining + 1));
        var parsed = message.HasPriority && message.Priority > 0
            ? Parse(message)
            : ParseResult.Reject(RejectReasons.InvalidPriority,
                message.HasPriority ? "priority 0: the producer always sets 1..255" : "no priority property: the producer always sets 1..255");
        var mail = new InFlight(message, parsed, lease?.Window ?? _window.Id, look, lease?.Borrowed ?? false, Sent: lease is not null,
            TokenTag: lease?.Tag ?? message.DeliveryTag, TokenSettles: lease?.Settles ?? true);
        _inFlight[message.DeliveryTag] = mail;
        if (parsed.Request is not { } request)
        {
            Decide(mail, new TakeChecks(AlreadySent: false, Suppressed: null));
            return;
        }

        if (!look)
        {
            RememberTaken(request);
        }
        else if (request.Priority < _settings.UrgentLane.Priority)
        {
            // A look at mail that is not urgent puts it back whatever the stores say, at once: the head is held unacked
            // as briefly as before the stores were asked off this thread, so a window opening now still takes it.
            Decide(mail, new TakeChecks(AlreadySent: false, Suppressed: null));
            return;
        }

        Check(mail);
    }

    /// <summary>What the stores said of a mail just taken: <see cref="MailFate"/> decides, and the reader carries it out.</summary>
    private void Decide(InFlight mail, TakeChecks checks)
    {
        var message = mail.Message;
        var request = mail.Request;
        var events = Context.System.EventStream;
        var urgent = request is not null && request.Priority >= _settings.UrgentLane.Priority;
        var verdict = MailFate.OnTaken(mail.Parsed, checks.AlreadySent, checks.Suppressed, mail.Look, urgent, _window.Halted);
        mail = mail with { Decided = true, Body = verdict.Disposition is null ? BrevoRequestRenderer.Render(request!, _settings.Render) : [] };
        _inFlight[message.DeliveryTag] = mail;
        var leased = !mail.Look;
        if (verdict.Disposition is not null && leased)
        {
            // Settled without a send: the lease goes back uncharged (the reader gets its token back when the verdict says so).
            SettleToken(mail.Window, mail.TokenTag, charged: false, mail.Borrowed, mail.TokenSettles);
        }

        switch (verdict.Disposition)
        {
            case null when leased:
                // Taken on a leased token: it is the mail's; send.
                _firstSeen.TryAdd(request!.IdempotencyKey, Context.System.Scheduler.Now);
                SendNow(mail);
                return;
            case null:
                // Looked at between windows: an urgent mail asks the keeper for a token (it may borrow one).
                _firstSeen.TryAdd(request!.IdempotencyKey, Context.System.Scheduler.Now);
                _budgetKeeper.Tell(new BudgetProtocol.Reserve(_window.Id, message.DeliveryTag, urgent));
                Timers.StartSingleTimer(TokenTimer(message.DeliveryTag), new TokenSilent(message.DeliveryTag), KeeperAnswerTimeout);
                return;
            case Disposition.DeadLetter:
                _log.Warning("Dead-lettering a message of priority {Priority}: {Reason} ({Detail})", message.Priority, verdict.Reason, verdict.Detail);
                if (checks.Suppressed is { } suppressed)
                {
                    events.Publish(new MailEvents.Suppressed(suppressed));
                }

                break;
            case Disposition.Ack:
                _log.Info("A redelivered mail of priority {Priority} was already accepted by Brevo: acked, not sent again", message.Priority);
                events.Publish(new MailEvents.AlreadySent(message.Priority));
                break;
        }

        if (mail.Look && verdict.Disposition != Disposition.Requeue)
        {
            // The looked-at head left the queue without a send (dead-lettered, or already sent): the mail behind it may
            // be urgent too, and the lane's tokens are still there for it.
            LookAgainIfUrgentMayWait();
        }

        Settle(mail, verdict.Disposition.Value, verdict.Reason, verdict.Detail, verdict.ReturnToken);
    }

    /// <summary>
    /// After a look took the head out of the queue: looks again now rather than at the next tick. With the mover's
    /// signal, only while it said more urgent mail was moved in: a look at a head that is not urgent puts it back, and a
    /// message put back is marked redelivered.
    /// </summary>
    private void LookAgainIfUrgentMayWait()
    {
        if (!_settings.UrgentSignalled || _urgentExpected > 0)
        {
            Self.Tell(LookAgain.Instance);
        }
    }

    /// <summary>
    /// Hands a mail whose token is held to the MailSenders, first telling the keeper that this token's send may now
    /// reach Brevo: should this reader die before it settles, the keeper counts the token as spent, not as free.
    /// </summary>
    private void SendNow(InFlight mail)
    {
        if (mail.TokenSettles)
        {
            _budgetKeeper.Tell(new BudgetProtocol.Spending(mail.Window, mail.TokenTag, mail.Request!.IdempotencyKey));
        }

        _senders.Tell(new SendingProtocol.SendMail(mail.Message.DeliveryTag, mail.Body!));
    }

    private static string TokenTimer(ulong tag) => "token-" + tag.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A looked-at mail's token was asked of a keeper that did not answer: the mail goes back to the queue.</summary>
    private void Handle(TokenSilent silent)
    {
        if (_inFlight.TryGetValue(silent.Tag, out var mail) && mail.Sent is false)
        {
            _log.Warning("The budget keeper did not answer for a mail of priority {Priority}: it goes back to the queue", mail.Message.Priority);
            Settle(mail, Disposition.Requeue, "keeper_silent", "", returnToken: false);
        }
    }

    private void Handle(BudgetProtocol.Reserved reserved)
    {
        if (reserved.Tag >= LeaseTags || !_inFlight.TryGetValue(reserved.Tag, out var mail) || mail.Sent)
        {
            // Nothing to send under this token (a lease given up on, a mail settled meanwhile, or a second answer for a
            // mail already sent): give it back uncharged.
            SettleToken(reserved.Window, reserved.Tag, charged: false, reserved.Borrowed, reserved.Settles);
            return;
        }

        Timers.Cancel(TokenTimer(reserved.Tag));
        mail = mail with { Window = reserved.Window, Borrowed = reserved.Borrowed, Sent = true, TokenSettles = reserved.Settles };
        _inFlight[reserved.Tag] = mail;
        // A look becomes a take only now: a mail looked at and put back is not counted taken and has no "taken" in its history.
        if (mail.Look)
        {
            Context.System.EventStream.Publish(new MailEvents.Taken(mail.Message.Priority, mail.Message.Redelivered));
        }

        RememberTaken(mail.Request!);
        SendNow(mail);
        if (mail.Look)
        {
            LookAgainIfUrgentMayWait();
        }
    }

    private void Handle(BudgetProtocol.ReservationDenied denied)
    {
        if (_inFlight.TryGetValue(denied.Tag, out var mail) && !mail.Sent)
        {
            Timers.Cancel(TokenTimer(denied.Tag));
            _log.Info("No token for a mail of priority {Priority} ({Reason}): it goes back to the queue", mail.Message.Priority, denied.Reason);
            Settle(mail, Disposition.Requeue, denied.Reason, "", returnToken: false);
        }
    }

    private void Handle(SendingProtocol.SendCompleted completed)
    {
        if (!_inFlight.TryGetValue(completed.Tag, out var mail) || mail.Request is null)
        {
            _log.Warning("A send outcome for an unknown delivery {Tag}: the message was already returned to the queue", completed.Tag);
            return;
        }

        // The verdict waits for the stores (the failed-window count, the ledger row of a sent mail): Record.
        Record(mail, completed);
    }

    /// <summary>A send's outcome, decided and written down: the token is settled, and then the mail.</summary>
    private void Handle(Recorded recorded)
    {
        if (!_inFlight.TryGetValue(recorded.Completed.Tag, out var mail) || mail.Request is not { } request)
        {
            return;
        }

        var (completed, verdict) = (recorded.Completed, recorded.Verdict);
        var key = request.IdempotencyKey;
        if (verdict.Event == SendEvent.Sent)
        {
            _unrecorded.Remove(key);
            var messageId = ((Sent)completed.Outcome).MessageId;
            Remember(request, "sent", messageId, ("message_id", messageId), ("window", mail.Window), ("attempts", completed.Attempts),
                ("template", (int)request.Template), ("priority", request.Priority));
        }

        SettleToken(mail.Window, mail.TokenTag, verdict.Charged, mail.Borrowed, mail.TokenSettles, key,
            accepted: completed.Outcome is Sent { WasDuplicate: false });
        if (verdict.HaltWindow)
        {
            _window = _window with { Tokens = 0, Halted = true };
        }

        var urgent = request.Priority >= _settings.UrgentThreshold;
        var events = Context.System.EventStream;
        if (verdict.Event == SendEvent.Sent)
        {
            var wait = _firstSeen.Remove(key, out var seen) ? Context.System.Scheduler.Now - seen : TimeSpan.Zero;
            events.Publish(new MailEvents.Sent(request.Template, request.Priority, completed.Elapsed, completed.Attempts,
                ((Sent)completed.Outcome).WasDuplicate, urgent, mail.Borrowed, wait));
        }
        else
        {
            events.Publish(new MailEvents.SendFailed(request.Template, request.Priority, verdict.Reason,
                Requeued: verdict.Event == SendEvent.FailedRequeued, urgent));
            if (verdict.Disposition == Disposition.Requeue)
            {
                _log.Warning("A mail of priority {Priority} could not be sent ({Reason}) after {Attempts} attempts: it stays queued for a later window",
                    request.Priority, verdict.Reason, completed.Attempts);
            }
            else
            {
                _log.Warning("Brevo refused a mail of priority {Priority} for good: {Reason} ({Detail})", request.Priority, verdict.Reason,
                    verdict.Detail);
            }
        }

        Settle(mail, verdict.Disposition, verdict.Reason, verdict.Detail, verdict.ReturnToken);
    }

    private void Settle(InFlight mail, Disposition disposition, string reason, string detail, bool returnToken)
    {
        var message = mail.Message;
        var task = disposition switch
        {
            Disposition.Ack => _queue.AckAsync(message),
            Disposition.Requeue => _queue.RequeueAsync(message),
            _ => _queue.DeadLetterAsync(message, reason, detail),
        };
        var settled = new SettleResult(message.DeliveryTag, disposition, reason, returnToken, message.Priority, null);
        task.PipeTo(Self, success: () => settled, failure: e => settled with { Failure = e });
    }

    private void Handle(SettleResult settled)
    {
        if (!_inFlight.Remove(settled.Tag, out var mail))
        {
            return;
        }

        if (settled.Failure is not null)
        {
            // The channel is gone: the broker has put the message back and will deliver it again.
            _log.Warning("Could not settle a message of priority {Priority} ({Disposition}): {Error}; it goes back to the queue",
                settled.Priority, settled.Disposition, settled.Failure.Message);
            if (settled.Disposition == Disposition.DeadLetter)
            {
                // The copy did not reach the dead-letter queue: keep the original rather than hold it unacked.
                _ = _queue.RequeueAsync(mail.Message);
            }
        }
        else if (settled.Disposition == Disposition.DeadLetter)
        {
            Context.System.EventStream.Publish(new MailEvents.DeadLettered(settled.Reason, settled.Priority));
            if (mail.Request is { } dead)
            {
                _firstSeen.Remove(dead.IdempotencyKey);
                Remember(dead, "dead_lettered", ("reason", settled.Reason));
            }
        }

        if (settled.ReturnToken && mail.Window == _window.Id)
        {
            _window = _window with { Tokens = _window.Tokens + 1 };
            Self.Tell(TakeNext.Instance);
        }

        ReplyDrainedWhenSettled();
        if (_inFlight.Count == 0)
        {
            // Behind a TakeNext sent above: only a behaviour with no take under way answers it.
            Self.Tell(QuietCheck.Instance);
        }
    }

    /// <summary>Answers <see cref="WhenSettled"/> when no mail is in flight; only called where no take is under way.</summary>
    private void ReplyWhenQuiet()
    {
        if (_inFlight.Count > 0 || _unacknowledgedSettles.Count > 0)
        {
            return;
        }

        foreach (var waiter in _settledWaiters)
        {
            waiter.Tell(QueueProtocol.Settled.Instance);
        }

        _settledWaiters.Clear();
    }

    private void RememberTaken(MailRequest request) =>
        Remember(request, "taken", ("priority", request.Priority), ("template", (int)request.Template));

    /// <summary>Tells the Delivery actor a line of the mail's history (no-op without one).</summary>
    private void Remember(MailRequest request, string kind, params (string Name, object? Value)[] fields) =>
        Remember(request, kind, null, fields);

    private void Remember(MailRequest request, string kind, string? messageId, params (string Name, object? Value)[] fields) =>
        _delivery?.Recorder.Tell(new DeliveryProtocol.Record(
            new HistoryEntry(Context.System.Scheduler.Now, request.RecipientEmail, kind, fields.ToDictionary(f => f.Name, f => f.Value)),
            messageId, (int)request.Template));

    private void ReplyDrainedWhenSettled()
    {
        if (_inFlight.Count > 0 || _unacknowledgedSettles.Count > 0)
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
    /// A mail taken and not yet settled. <c>Parsed</c>: the contract's verdict on it; <c>Look</c>: taken between windows
    /// without a token; <c>Borrowed</c>: its token was lent; <c>Sent</c>: its token held (from the take, or once a
    /// looked-at mail is granted one); <c>TokenTag</c>: the reservation its token was granted under (the lease's, or the
    /// mail's own delivery tag); <c>TokenSettles</c>: the keeper wants the token settled (not in unlimited mode, where it
    /// is spent as lent); <c>Decided</c>: the stores have answered and <see cref="MailFate"/> has decided; <c>Body</c>:
    /// the rendered Brevo request, once it is to be sent.
    /// </summary>
    private sealed record InFlight(QueueMessage Message, ParseResult Parsed, long Window, bool Look = false, bool Borrowed = false,
        bool Sent = false, ulong TokenTag = 0, bool TokenSettles = true, bool Decided = false, byte[]? Body = null)
    {
        public MailRequest? Request => Parsed.Request;
    }

    private sealed record SettleResult(ulong Tag, Disposition Disposition, string Reason, bool ReturnToken, byte Priority, Exception? Failure);

}
