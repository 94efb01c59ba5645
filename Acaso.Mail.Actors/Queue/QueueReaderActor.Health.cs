using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Events;
using Akka.Actor;
using Akka.Event;

namespace Acaso.Mail.Actors.Queue;

/// <summary>
/// The reader's view of the broker: a probe (a passive declare of the queue it reads, within the operation timeout)
/// every <see cref="ProbeInterval"/> after the last one ended, so a silent partition is seen within seconds even
/// between windows, and a probe after the network heals connects again. What it finds, and whether the broker
/// blocks publishers, goes to the event stream for <c>/readyz</c> and the metrics. Each probe also subscribes to the
/// budget keeper again.
/// </summary>
public sealed partial class QueueReaderActor
{
    /// <summary>How long after one probe ended the next begins.</summary>
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(2);

    private BrokerState _broker = BrokerState.Unknown;
    private string? _blocked;

    private void Probe() =>
        _queue.ProbeAsync().PipeTo(Self, success: _ => new ProbeResult(null, _queue.Blocked), failure: e => new ProbeResult(e, _queue.Blocked));

    private void Handle(ProbeResult probe)
    {
        SetConnected(probe.Failure is null, probe.Failure?.GetBaseException().Message);
        if (probe.Blocked != _blocked)
        {
            _blocked = probe.Blocked;
            Context.System.EventStream.Publish(new MailEvents.BrokerBlocked("reader", _blocked));
        }

        // Subscribing again is idempotent for the keeper; after a hand-over (the keeper moved to another node and
        // knows no readers) it is how this reader hears of the next window.
        _budgetKeeper.Tell(new BudgetProtocol.Subscribe(Self));
        Timers.StartSingleTimer(HealthTimer, HealthTick.Instance, ProbeInterval);
    }

    private void SetConnected(bool connected, string? detail)
    {
        var state = connected ? BrokerState.Up : BrokerState.Down;
        if (state == _broker && detail is null)
        {
            return;
        }

        if (state != _broker)
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

        _broker = state;
        Context.System.EventStream.Publish(new MailEvents.BrokerConnection(connected, detail));
    }

    private enum BrokerState
    {
        Unknown,
        Up,
        Down,
    }

    /// <summary>What a probe found: the failure, if any, and whether the broker blocks publishers.</summary>
    private sealed record ProbeResult(Exception? Failure, string? Blocked);

    private sealed record HealthTick
    {
        public static readonly HealthTick Instance = new();
    }
}
