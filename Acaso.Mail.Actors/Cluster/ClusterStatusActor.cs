using Acaso.Mail.Actors.Events;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;

namespace Acaso.Mail.Actors.Cluster;

/// <summary>
/// Watches the cluster from this node and publishes <see cref="MailEvents.ClusterChanged"/>: how many members are Up
/// and reachable, whether this node has joined, and whether the budget keeper's node (the oldest Up member: where the
/// singleton runs) has been unreachable for longer than <see cref="_keeperGrace"/> (stable-after, then the hand-over).
/// </summary>
public sealed class ClusterStatusActor : ReceiveActor, IWithTimers
{
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly TimeSpan _keeperGrace;
    private DateTimeOffset? _keeperUnreachableSince;
    private MailEvents.ClusterChanged? _last;

    /// <summary>Creates the watcher; <paramref name="keeperGrace"/> is how long the keeper's node may stay unreachable before the node is not ready.</summary>
    public ClusterStatusActor(TimeSpan keeperGrace)
    {
        _keeperGrace = keeperGrace;
        Receive<ClusterEvent.IClusterDomainEvent>(_ => Evaluate());
        Receive<ClusterEvent.CurrentClusterState>(_ => Evaluate());
        Receive<Tick>(_ => Evaluate());
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for the watcher.</summary>
    public static Props Props(TimeSpan keeperGrace) => Akka.Actor.Props.Create(() => new ClusterStatusActor(keeperGrace));

    /// <inheritdoc />
    protected override void PreStart()
    {
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
        Timers.StartPeriodicTimer(Tick.Instance, Tick.Instance, TimeSpan.FromSeconds(1));
        Evaluate();
    }

    /// <inheritdoc />
    protected override void PostStop() => _cluster.Unsubscribe(Self);

    private void Evaluate()
    {
        var state = _cluster.State;
        var up = state.Members.Where(m => m.Status == MemberStatus.Up).ToList();
        var reachable = up.Count(m => !state.Unreachable.Contains(m));
        var joined = _cluster.SelfMember.Status == MemberStatus.Up;
        var keeperNode = up.Count == 0 ? null : up.Aggregate((a, b) => b.IsOlderThan(a) ? b : a);
        var now = DateTimeOffset.UtcNow;
        if (keeperNode is not null && state.Unreachable.Contains(keeperNode))
        {
            _keeperUnreachableSince ??= now;
        }
        else
        {
            _keeperUnreachableSince = null;
        }

        var problem = !joined ? "cluster not joined"
            : _keeperUnreachableSince is { } since && now - since > _keeperGrace
                ? $"budget keeper's node {keeperNode!.Address} unreachable for {(int)(now - since).TotalSeconds} s"
                : null;
        var changed = new MailEvents.ClusterChanged(reachable, joined, problem);
        if (changed == _last)
        {
            return;
        }

        if (changed.Members != _last?.Members || changed.Joined != _last?.Joined)
        {
            _log.Info("Cluster: {Members} members up and reachable; this node {Joined}", reachable, joined ? "has joined" : "has not joined");
        }

        _last = changed;
        Context.System.EventStream.Publish(changed);
    }

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }
}
