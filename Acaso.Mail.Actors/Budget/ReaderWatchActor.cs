using Akka.Actor;
using Akka.Event;

namespace Acaso.Mail.Actors.Budget;

/// <summary>
/// Watches the readers a daily keeper knows, a child of the keeper: those that subscribed, and those that hold leases an
/// earlier incarnation lent. When one stops (or its node is gone) it tells the keeper <see cref="ReaderStopped"/> at
/// once, to tell it nothing more, and <see cref="ReaderGone"/> a <see cref="Grace"/> later, when the keeper settles what
/// that reader still holds: settles it sent just before may still be on their way.
/// </summary>
public sealed class ReaderWatchActor : ReceiveActor, IWithTimers
{
    /// <summary>How long after a reader is reported stopped its leases are settled for it.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    /// <summary>Watches nothing yet.</summary>
    public ReaderWatchActor()
    {
        Receive<Watch>(watch => Context.Watch(watch.Reader));
        Receive<WatchHolders>(holders =>
        {
            foreach (var reader in holders.Readers)
            {
                // One that is gone (its node died with the old keeper) is reported Terminated at once.
                Context.Watch(((ExtendedActorSystem)Context.System).Provider.ResolveActorRef(reader));
            }
        });
        Receive<Terminated>(stopped =>
        {
            Context.Parent.Tell(new ReaderStopped(stopped.ActorRef));
            var reader = Akka.Serialization.Serialization.SerializedActorPath(stopped.ActorRef);
            Timers.StartSingleTimer("gone " + reader, new ReaderGone(reader), Grace);
        });
        Receive<ReaderGone>(gone => Context.Parent.Tell(gone));
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Watch a reader that subscribed.</summary>
    public sealed record Watch(IActorRef Reader);

    /// <summary>Watch the readers (full serialized paths) that hold what an earlier incarnation of the keeper lent.</summary>
    public sealed record WatchHolders(IReadOnlyList<string> Readers);

    /// <summary>The reader stopped: it is told nothing more.</summary>
    public sealed record ReaderStopped(IActorRef Reader);

    /// <summary>The reader at <paramref name="Reader"/> (its full serialized path) stopped a grace ago.</summary>
    public sealed record ReaderGone(string Reader) : IDeadLetterSuppression;
}
