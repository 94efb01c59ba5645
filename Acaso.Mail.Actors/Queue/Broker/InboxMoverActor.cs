using Acaso.Mail.Actors.Events;
using Acaso.Mail.Actors.Lifecycle;
using Akka.Actor;
using Akka.Event;

namespace Acaso.Mail.Actors.Queue.Broker;

/// <summary>
/// Keeps the <see cref="InboxMover"/> running for as long as the service runs: it starts it, starts it again a second
/// after any failure (a dropped connection, a copy the broker did not confirm in time), and tells the event stream how
/// many mails were moved and whether the broker blocks the mover's publishes.
/// </summary>
public sealed class InboxMoverActor : ReceiveActor, IWithTimers
{
    private const string TickTimer = "tick";
    private static readonly TimeSpan TickInterval = TimeSpan.FromSeconds(1);

    private readonly InboxMover _mover;
    private readonly ResourceCloser _closer;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _reported;
    private string? _blocked;
    private string? _lastFailure = "not started";

    /// <summary>Creates the actor over <paramref name="mover"/>, which it disposes when it stops.</summary>
    public InboxMoverActor(InboxMover mover)
    {
        _mover = mover;
        _closer = ResourceCloser.Get(Context.System);
        Receive<Tick>(_ => _mover.EnsureRunningAsync().PipeTo(Self, success: () => new Checked(null), failure: e => new Checked(e)));
        Receive<Checked>(Handle);
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for the actor.</summary>
    public static Props Props(InboxMover mover) => Akka.Actor.Props.Create(() => new InboxMoverActor(mover));

    /// <inheritdoc />
    protected override void PreStart() => Self.Tell(Tick.Instance);

    /// <inheritdoc />
    protected override void PostStop() => _closer.Close(_mover, "the inbox mover");

    private void Handle(Checked check)
    {
        var failure = check.Failure?.GetBaseException().Message;
        if (failure != _lastFailure)
        {
            if (failure is null)
            {
                _log.Info("The inbox mover is moving mail into the durable inbox");
            }
            else
            {
                _log.Warning("The inbox mover cannot reach the broker: {Detail}", failure);
            }

            _lastFailure = failure;
        }

        var moved = _mover.Moved;
        if (moved > _reported)
        {
            Context.System.EventStream.Publish(new MailEvents.MovedToInbox((int)(moved - _reported)));
            _reported = moved;
        }

        if (_mover.Blocked != _blocked)
        {
            _blocked = _mover.Blocked;
            Context.System.EventStream.Publish(new MailEvents.BrokerBlocked("inbox-mover", _blocked));
        }

        Timers.StartSingleTimer(TickTimer, Tick.Instance, TickInterval);
    }

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }

    /// <summary>What a check found. One that comes after the actor stopped (a refused start, a shutdown) tells nobody anything, and is no dead letter (its line would print the exception's stack).</summary>
    private sealed record Checked(Exception? Failure) : IDeadLetterSuppression;
}
