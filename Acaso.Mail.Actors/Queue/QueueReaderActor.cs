using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Sending;
using Acaso.Mail.Actors.Settings;
using Akka.Actor;
using Akka.Hosting;
using Akka.Event;
using Akka.Streams;
using Akka.Streams.Dsl;
using static Acaso.Mail.Actors.Queue.QueueProtocol;

namespace Acaso.Mail.Actors.Queue;

/// <summary>What the reader needs to know to serve the queue.</summary>
/// <param name="Contract">Parser limits and expiry grace.</param>
/// <param name="Render">The zone dates are shown in, and sandbox mode.</param>
/// <param name="PollInterval">How soon an empty or unreachable queue is asked again while tokens remain.</param>
/// <param name="MaxFailedWindows">After this many windows in a row in which Brevo kept failing on a mail, it is dead-lettered as <c>transient_exhausted</c>.</param>
/// <param name="Urgent">The urgent lane (off unless given).</param>
public sealed record ReaderSettings(ParserOptions Contract, RenderOptions Render, TimeSpan PollInterval, int MaxFailedWindows = 24,
    UrgentSettings? Urgent = null)
{
    /// <summary>The urgent lane, or the old policy when none was given.</summary>
    public UrgentSettings UrgentLane => Urgent ?? UrgentSettings.Off;

    /// <summary>What counts as urgent in the metrics: the lane's threshold, or 199 (today or tomorrow) when the lane is off.</summary>
    public int UrgentThreshold => UrgentLane.Enabled ? UrgentLane.Priority : 199;
}

/// <summary>
/// Owns the queue connection and the Akka.Streams graph that takes from it, materialised in <see cref="PreStart"/>
/// so the stream dies with the actor. The reader requests one take at a time and only while it holds a free send
/// token, so there are never more unacknowledged messages than outstanding tokens and RabbitMQ's priority order
/// holds at every take. Each valid mail reserves its token from the BudgetKeeper, goes to a MailSender, and is
/// acked only once its outcome is final; bad input goes to the dead-letter queue and its token serves the next mail.
/// Between windows (no token left) it looks at the queue head every few seconds: an urgent mail there goes out at
/// once on a token the BudgetKeeper lends from the coming window; anything else goes back untouched. That look is
/// also how the queue's head priority and depth reach the metrics.
/// </summary>
public sealed class QueueReaderActor : ReceiveActor, IWithTimers
{
    private const string PollTimer = "poll";
    private const string HealthTimer = "health";
    private const string UrgentTimer = "urgent";
    // Between windows the reader stops looking for urgent mail while this many mails are still unsettled.
    private const int MaxUnsettledForUrgentLook = 64;

    private readonly Func<IMailQueue> _queueFactory;
    private readonly IActorRef _budgetKeeper;
    private readonly IActorRef _senders;
    private readonly ReaderSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<ulong, InFlight> _inFlight = [];
    private readonly List<IActorRef> _drainWaiters = [];
    // Windows in which Brevo kept failing, by idempotency key (SQLite in the service, so a restart keeps the count).
    private readonly IFailedWindowStore _failedWindows;
    // Keys Brevo accepted, so a redelivery after a crash is not sent again (daily mode in the service; else none).
    private readonly ISentLedger? _sentLedger;
    private IMailQueue _queue = null!;
    private IQueueDemand _demand = null!;
    private bool _taking;
    private long _window;
    private int _permits;
    private bool _draining;
    private bool _connected;
    // A look at the queue head between windows is under way (its take used no token).
    private bool _probing;
    private bool _askingCapacity;
    private long _peekedWindow = -1;
    // The window in which Brevo failed (after its retries) or refused the account: the rest of it waits.
    private long _haltedWindow = -1;
    // When the service first saw each mail, for the queue-wait histogram (the producer sets no timestamp).
    private readonly Dictionary<Guid, DateTimeOffset> _firstSeen = [];

    /// <summary>Creates the reader; <paramref name="queueFactory"/> is called once per incarnation.</summary>
    public QueueReaderActor(Func<IMailQueue> queueFactory, IActorRef budgetKeeper, IActorRef senders, ReaderSettings settings,
        IFailedWindowStore failedWindows, ISentLedger? sentLedger = null)
    {
        _queueFactory = queueFactory;
        _failedWindows = failedWindows;
        _sentLedger = sentLedger;
        _budgetKeeper = budgetKeeper;
        _senders = senders;
        _settings = settings;

        Receive<QueuePull.Taken>(Handle);
        Receive<QueuePull.Empty>(_ => HandleNothingTaken(null));
        Receive<QueuePull.Failed>(failed => HandleNothingTaken(failed.Cause));
        Receive<BudgetProtocol.WindowOpened>(Handle);
        Receive<BudgetProtocol.Reserved>(Handle);
        Receive<BudgetProtocol.ReservationDenied>(Handle);
        Receive<SendingProtocol.SendCompleted>(Handle);
        Receive<Settled>(Handle);
        Receive<PollTick>(_ => Demand());
        Receive<UrgentTick>(_ => AskUrgentCapacity());
        Receive<BudgetProtocol.UrgentCapacity>(Handle);
        Receive<HealthTick>(_ => CheckConnection());
        Receive<ConnectionChecked>(Handle);
        Receive<Drain>(_ => HandleDrain());
        Receive<GetStatus>(_ => Sender.Tell(new ReaderStatus(_window, _permits, _inFlight.Count, _connected, _draining,
            Busy: _taking || _askingCapacity || _inFlight.Count > 0)));
        Receive<StreamCompleted>(_ => throw new InvalidOperationException("the queue stream completed; it never should"));
        Receive<StreamFailed>(failed => throw new InvalidOperationException("the queue stream failed", failed.Cause));
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>
    /// Props for the reader; without a <paramref name="failedWindows"/> store the counts are kept in memory, and without
    /// a <paramref name="sentLedger"/> only Brevo's idempotency key stops a repeat after a crash.
    /// </summary>
    public static Props Props(Func<IMailQueue> queueFactory, IActorRef budgetKeeper, IActorRef senders, ReaderSettings settings,
        IFailedWindowStore? failedWindows = null, ISentLedger? sentLedger = null) =>
        Akka.Actor.Props.Create(() => new QueueReaderActor(queueFactory, budgetKeeper, senders, settings,
            failedWindows ?? new InMemoryFailedWindowStore(), sentLedger));

    /// <inheritdoc />
    protected override void PreStart()
    {
        _queue = _queueFactory();
        _demand = Source.FromGraph(new QueuePullSource(_queue))
            .To(Sink.ActorRef<QueuePull>(Self, StreamCompleted.Instance, e => new StreamFailed(e)))
            .Run(Context.Materializer());
        _budgetKeeper.Tell(new BudgetProtocol.Subscribe(Self));
        Timers.StartPeriodicTimer(HealthTimer, HealthTick.Instance, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Timers.StartPeriodicTimer(UrgentTimer, UrgentTick.Instance, _settings.UrgentLane.PollInterval);
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        // Closing the connection returns every unacked message to the queue, at its priority.
        _queue.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
    }

    /// <summary>Lets the stream take one more message when a token is free: the only place demand is made.</summary>
    private void Demand()
    {
        if (!_taking && _permits > 0 && !_draining)
        {
            _permits--;
            _taking = true;
            _demand.Request(1);
        }
    }

    private void Handle(BudgetProtocol.WindowOpened opened)
    {
        // The previous window's unused tokens lapse: the keeper has already stopped counting them.
        _window = opened.Window;
        _permits = opened.Tokens;
        Timers.Cancel(PollTimer);
        Demand();
    }

    private void Handle(QueuePull.Taken taken)
    {
        var probe = _probing;
        _taking = false;
        _probing = false;
        SetConnected(true, null);
        var message = taken.Message;
        var window = _window;
        Context.System.EventStream.Publish(new MailEvents.Taken(message.Priority, message.Redelivered));
        Context.System.EventStream.Publish(new MailEvents.QueueHead(message.Priority, message.Remaining + 1));
        var parsed = message.HasPriority && message.Priority > 0
            ? MailRequestParser.Parse(message.Body, message.Priority, Context.System.Scheduler.Now, _settings.Contract)
            : ParseResult.Reject(RejectReasons.InvalidPriority,
                message.HasPriority ? "priority 0: the producer always sets 1..255" : "no priority property: the producer always sets 1..255");
        if (parsed.Request is not { } request)
        {
            var rejection = parsed.Rejection!;
            _log.Warning("Dead-lettering a message of priority {Priority}: {Reason} ({Detail})", message.Priority, rejection.Reason, rejection.Detail);
            _inFlight[message.DeliveryTag] = new InFlight(message, null, [], window, probe);
            Settle(message, Disposition.DeadLetter, rejection.Reason, rejection.Detail, returnToken: !probe);
        }
        else if (message.Redelivered && _sentLedger?.Contains(request.IdempotencyKey) == true)
        {
            // Brevo accepted it, then the service died before the ack: it was mailed and charged already.
            _log.Info("A redelivered mail of priority {Priority} was already accepted by Brevo: acked, not sent again", message.Priority);
            _inFlight[message.DeliveryTag] = new InFlight(message, null, [], window, probe);
            Context.System.EventStream.Publish(new MailEvents.AlreadySent(request.Priority));
            Settle(message, Disposition.Ack, "already_sent", "", returnToken: !probe);
        }
        else
        {
            _firstSeen.TryAdd(request.IdempotencyKey, Context.System.Scheduler.Now);
            var urgent = request.Priority >= _settings.UrgentLane.Priority;
            _inFlight[message.DeliveryTag] = new InFlight(message, request, BrevoRequestRenderer.Render(request, _settings.Render), window, probe);
            if (probe && !urgent)
            {
                // Between windows only urgent mail may go: this one keeps its place for its window.
                Settle(message, Disposition.Requeue, "not_urgent", "", returnToken: false);
            }
            else if (_haltedWindow == window)
            {
                // Taken just before Brevo failed in this window: it waits with the rest, at its place.
                Settle(message, Disposition.Requeue, "window_halted", "", returnToken: false);
            }
            else
            {
                _budgetKeeper.Tell(new BudgetProtocol.Reserve(window, message.DeliveryTag, urgent));
            }
        }

        Demand();
    }

    private void AskUrgentCapacity()
    {
        if (_permits > 0 && !_taking)
        {
            // Tokens and nothing under way: take (a safety net, so a window's tokens never sit idle past a poll).
            Demand();
            return;
        }

        if (_permits == 0 && !_taking && !_draining && _inFlight.Count < MaxUnsettledForUrgentLook)
        {
            _askingCapacity = true;
            _budgetKeeper.Tell(BudgetProtocol.CanSendUrgent.Instance);
        }
    }

    /// <summary>
    /// Looks at the queue head when an urgent mail could get a token, or once a window to see what waits. The take
    /// uses no token: the mail is sent only if it is urgent and the keeper lends it one; otherwise it is requeued.
    /// </summary>
    private void Handle(BudgetProtocol.UrgentCapacity capacity)
    {
        _askingCapacity = false;
        // While Brevo is failing (or refusing the account) in this window, urgent mail waits too: look, don't send.
        var mayBorrow = _settings.UrgentLane.Enabled && capacity.Tokens > 0 && _haltedWindow != _window;
        if (_permits > 0 || _taking || _draining || (!mayBorrow && _peekedWindow == _window))
        {
            return;
        }

        _peekedWindow = _window;
        _probing = true;
        _taking = true;
        _demand.Request(1);
    }

    private void HandleNothingTaken(Exception? failure)
    {
        var probe = _probing;
        _taking = false;
        _probing = false;
        if (failure is null)
        {
            Context.System.EventStream.Publish(new MailEvents.QueueHead(null, 0));
        }
        else
        {
            SetConnected(false, failure.Message);
        }

        if (probe)
        {
            // A look at the head used no token: there is none to give back. A window may have opened meanwhile.
            Demand();
            return;
        }

        // The take's token comes back; the queue is asked again after the poll interval.
        _permits++;
        if (!_draining)
        {
            Timers.StartSingleTimer(PollTimer, PollTick.Instance, _settings.PollInterval);
        }
    }

    private void Handle(BudgetProtocol.Reserved reserved)
    {
        if (_inFlight.TryGetValue(reserved.Tag, out var mail))
        {
            _inFlight[reserved.Tag] = mail with { Borrowed = reserved.Borrowed };
            _senders.Tell(new SendingProtocol.SendMail(reserved.Tag, mail.Body));
            if (mail.Probe)
            {
                // More urgent mail may be waiting behind it: look again now rather than at the next tick.
                AskUrgentCapacity();
            }
        }
        else
        {
            // Nothing to send under this token: give it back uncharged.
            _budgetKeeper.Tell(new BudgetProtocol.Settle(reserved.Window, Charged: false, reserved.Borrowed));
        }
    }

    private void Handle(BudgetProtocol.ReservationDenied denied)
    {
        if (!_inFlight.TryGetValue(denied.Tag, out var mail))
        {
            return;
        }

        _log.Info("No token for a mail of priority {Priority} ({Reason}): it goes back to the queue", mail.Message.Priority, denied.Reason);
        Settle(mail.Message, Disposition.Requeue, denied.Reason, "", returnToken: false);
    }

    private void Handle(SendingProtocol.SendCompleted completed)
    {
        if (!_inFlight.TryGetValue(completed.Tag, out var mail) || mail.Request is not { } request)
        {
            _log.Warning("A send outcome for an unknown delivery {Tag}: the message was already returned to the queue", completed.Tag);
            return;
        }

        var events = Context.System.EventStream;
        switch (completed.Outcome)
        {
            case Sent sent:
                _sentLedger?.Record(request.IdempotencyKey);
                _failedWindows.Forget(request.IdempotencyKey);
                _budgetKeeper.Tell(new BudgetProtocol.Settle(mail.Window, Charged: true, mail.Borrowed));
                var now = Context.System.Scheduler.Now;
                var wait = _firstSeen.Remove(request.IdempotencyKey, out var seen) ? now - seen : TimeSpan.Zero;
                events.Publish(new MailEvents.Sent(request.Template, request.Priority, completed.Elapsed, completed.Attempts, sent.WasDuplicate,
                    Urgent: request.Priority >= _settings.UrgentThreshold, Borrowed: mail.Borrowed, QueueWait: wait));
                Settle(mail.Message, Disposition.Ack, "sent", "", returnToken: false);
                break;

            case PermanentFailure { IsAccountProblem: false } permanent:
                _failedWindows.Forget(request.IdempotencyKey);
                _budgetKeeper.Tell(new BudgetProtocol.Settle(mail.Window, Charged: completed.MayHaveCharged, mail.Borrowed));
                _log.Warning("Brevo refused a mail of priority {Priority} for good: {Status} {Code}", request.Priority, permanent.Status, permanent.Code);
                events.Publish(new MailEvents.SendFailed(request.Template, request.Priority, "brevo_" + permanent.Code, Requeued: false,
                    Urgent: request.Priority >= _settings.UrgentThreshold));
                Settle(mail.Message, Disposition.DeadLetter, "brevo_" + permanent.Code, $"{permanent.Status} {permanent.Message}",
                    returnToken: !completed.MayHaveCharged);
                break;

            default:
                // Transient after every retry, or an account problem (bad key, no credits): the mail keeps its place
                // in the queue, and the rest of this window waits, since the next take would meet the same Brevo.
                var reason = completed.Outcome switch
                {
                    PermanentFailure p => "brevo_" + p.Code,
                    TransientFailure t => t.Reason,
                    _ => "unknown",
                };
                _budgetKeeper.Tell(new BudgetProtocol.Settle(mail.Window, Charged: completed.MayHaveCharged, mail.Borrowed));
                if (mail.Window == _window)
                {
                    _permits = 0;
                    _haltedWindow = _window;
                }

                // Only Brevo's own failures count against the mail; an account problem is not the mail's fault.
                var failed = completed.Outcome is TransientFailure ? _failedWindows.Increment(request.IdempotencyKey) : 0;
                var exhausted = failed > 0 && failed >= _settings.MaxFailedWindows;
                events.Publish(new MailEvents.SendFailed(request.Template, request.Priority, reason, Requeued: !exhausted,
                    Urgent: request.Priority >= _settings.UrgentThreshold));
                if (exhausted)
                {
                    _failedWindows.Forget(request.IdempotencyKey);
                    _log.Warning("Brevo failed on a mail of priority {Priority} in {Windows} windows in a row ({Reason}): dead-lettering it",
                        request.Priority, failed, reason);
                    Settle(mail.Message, Disposition.DeadLetter, RejectReasons.TransientExhausted,
                        $"Brevo failed on it in {failed} windows in a row; last: {reason}", returnToken: false);
                }
                else
                {
                    _log.Warning("A mail of priority {Priority} could not be sent ({Reason}) after {Attempts} attempts: it stays queued for a later window",
                        request.Priority, reason, completed.Attempts);
                    Settle(mail.Message, Disposition.Requeue, reason, "", returnToken: false);
                }

                break;
        }
    }

    private void Settle(QueueMessage message, Disposition disposition, string reason, string detail, bool returnToken)
    {
        var task = disposition switch
        {
            Disposition.Ack => _queue.AckAsync(message),
            Disposition.Requeue => _queue.RequeueAsync(message),
            _ => _queue.DeadLetterAsync(message, reason, detail),
        };
        var settled = new Settled(message.DeliveryTag, disposition, reason, returnToken, message.Priority, null);
        task.PipeTo(Self, success: () => settled, failure: e => settled with { Failure = e });
    }

    private void Handle(Settled settled)
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
            }
        }

        if (settled.ReturnToken && mail.Window == _window)
        {
            _permits++;
        }

        Demand();
        if (_draining && _inFlight.Count == 0)
        {
            ReplyDrained();
        }
    }

    private void HandleDrain()
    {
        _draining = true;
        _permits = 0;
        Timers.Cancel(PollTimer);
        _drainWaiters.Add(Sender);
        if (_inFlight.Count == 0)
        {
            ReplyDrained();
        }
    }

    private void ReplyDrained()
    {
        foreach (var waiter in _drainWaiters)
        {
            waiter.Tell(Drained.Instance);
        }

        _drainWaiters.Clear();
    }

    private void CheckConnection()
    {
        if (_queue.IsConnected)
        {
            SetConnected(true, null);
            return;
        }

        _queue.ConnectAsync().PipeTo(Self, success: () => new ConnectionChecked(null), failure: e => new ConnectionChecked(e));
    }

    private void Handle(ConnectionChecked check) =>
        SetConnected(check.Failure is null && _queue.IsConnected, check.Failure?.GetBaseException().Message);

    private void SetConnected(bool connected, string? detail)
    {
        if (connected == _connected && detail is null)
        {
            return;
        }

        if (connected != _connected)
        {
            if (connected)
            {
                _log.Info("The queue is reachable");
            }
            else
            {
                _log.Warning("The queue is unreachable: {Detail}", detail);
            }
        }

        _connected = connected;
        Context.System.EventStream.Publish(new MailEvents.BrokerConnection(connected, detail));
    }

    private enum Disposition
    {
        Ack,
        Requeue,
        DeadLetter,
    }

    /// <summary>A mail taken and not yet settled. <c>Probe</c>: taken between windows without a token; <c>Borrowed</c>: its token was lent.</summary>
    private sealed record InFlight(QueueMessage Message, MailRequest? Request, byte[] Body, long Window, bool Probe = false, bool Borrowed = false);

    private sealed record Settled(ulong Tag, Disposition Disposition, string Reason, bool ReturnToken, byte Priority, Exception? Failure);

    private sealed record ConnectionChecked(Exception? Failure);

    private sealed record StreamCompleted
    {
        public static readonly StreamCompleted Instance = new();
    }

    private sealed record StreamFailed(Exception Cause);

    private sealed record PollTick
    {
        public static readonly PollTick Instance = new();
    }

    private sealed record UrgentTick
    {
        public static readonly UrgentTick Instance = new();
    }

    private sealed record HealthTick
    {
        public static readonly HealthTick Instance = new();
    }
}

/// <summary>Registers the QueueReader.</summary>
public static class QueueReaderActorHostingExtensions
{
    /// <summary>Starts the reader over the BudgetKeeper and the MailSenders already registered.</summary>
    public static AkkaConfigurationBuilder AddQueueReaderActor(this AkkaConfigurationBuilder builder,
        Func<IMailQueue> queueFactory, ReaderSettings settings, IFailedWindowStore? failedWindows = null, ISentLedger? sentLedger = null) =>
        builder.WithActors((system, registry) =>
        {
            var reader = system.ActorOf(QueueReaderActor.Props(queueFactory, registry.Get<BudgetKeeperActor>(),
                registry.Get<MailSendersActor>(), settings, failedWindows, sentLedger), "queue-reader");
            registry.Register<QueueReaderActor>(reader);
        });
}
