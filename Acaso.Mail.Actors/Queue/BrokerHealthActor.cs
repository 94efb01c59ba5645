using Acaso.Mail.Actors.Events;
using Acaso.Mail.Actors.Queue.Broker;
using Akka.Actor;
using Akka.Event;

namespace Acaso.Mail.Actors.Queue;

/// <summary>
/// The reader's view of the broker, a child of the reader: a probe (a passive declare of the queue it reads, within the
/// operation timeout) every <see cref="ProbeInterval"/> after the last one ended, so a silent partition is seen within
/// seconds even between windows, and a probe after the network heals connects again. The reader also tells it what
/// each take found (<see cref="Seen"/>). What it learns goes to the event stream, for <c>/readyz</c> and the metrics.
/// </summary>
public sealed class BrokerHealthActor : ReceiveActor, IWithTimers
{
    private const string ProbeTimer = "probe";

    /// <summary>How long after one probe ended the next begins.</summary>
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(2);

    private readonly IMailQueue _queue;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private bool? _connected;
    private string? _blocked;

    /// <summary>Probes <paramref name="queue"/>, the reader's own.</summary>
    public BrokerHealthActor(IMailQueue queue)
    {
        _queue = queue;
        Receive<ProbeNow>(_ => _queue.ProbeAsync()
            .PipeTo(Self, success: _ => new Probed(null, _queue.Blocked), failure: e => new Probed(e, _queue.Blocked)));
        Receive<Probed>(Handle);
        Receive<Seen>(seen => SetConnected(seen.Connected, seen.Detail));
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for the broker's health over <paramref name="queue"/>.</summary>
    public static Props Props(IMailQueue queue) => Akka.Actor.Props.Create(() => new BrokerHealthActor(queue));

    /// <inheritdoc />
    protected override void PreStart() => Self.Tell(ProbeNow.Instance);

    private void Handle(Probed probe)
    {
        SetConnected(probe.Failure is null, probe.Failure?.GetBaseException().Message);
        if (probe.Blocked != _blocked)
        {
            _blocked = probe.Blocked;
            Context.System.EventStream.Publish(new MailEvents.BrokerBlocked("reader", _blocked));
        }

        Timers.StartSingleTimer(ProbeTimer, ProbeNow.Instance, ProbeInterval);
    }

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

    /// <summary>What a take found: the broker answered, or failed with <paramref name="Detail"/>.</summary>
    public sealed record Seen(bool Connected, string? Detail);

    /// <summary>What a probe found: the failure, if any, and whether the broker blocks publishers. One that comes after the actor stopped tells nobody anything, and is no dead letter (its line would print the exception's stack).</summary>
    private sealed record Probed(Exception? Failure, string? Blocked) : IDeadLetterSuppression;

    private sealed record ProbeNow : IDeadLetterSuppression
    {
        public static readonly ProbeNow Instance = new();
    }
}
