using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Event;

namespace Acaso.Mail.Actors.Lifecycle;

/// <summary>
/// Closes what an actor opened (a broker connection, a Quartz scheduler) without blocking the actor's thread as it
/// stops: <c>PostStop</c> hands the resource here and returns, its close runs on, and coordinated shutdown's last phase
/// waits for the closes still under way (within that phase's timeout). So a stopping service still closes its broker
/// connection, which returns every unacked mail to the queue at its priority, before the process exits. An actor gets
/// the closer in its constructor: coordinated shutdown takes no new task once its last phase has begun.
/// </summary>
public sealed class ResourceCloser : IExtension
{
    private readonly ConcurrentDictionary<Task, string> _underWay = new();
    private readonly ILoggingAdapter _log;

    /// <summary>Registers the wait with <paramref name="system"/>'s coordinated shutdown.</summary>
    public ResourceCloser(ExtendedActorSystem system)
    {
        _log = Akka.Event.Logging.GetLogger(system, typeof(ResourceCloser));
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseActorSystemTerminate, "close-actor-resources", async () =>
        {
            // Every actor's PostStop has run once the system has terminated: what they began to close is all here.
            await system.WhenTerminated.ConfigureAwait(false);
            await Task.WhenAll(_underWay.Keys).ConfigureAwait(false);
            return Akka.Done.Instance;
        });
    }

    /// <summary>The closer of <paramref name="system"/>.</summary>
    public static ResourceCloser Get(ActorSystem system) => system.WithExtension<ResourceCloser, ResourceCloserProvider>();

    /// <summary>
    /// Begins to close <paramref name="resource"/> (named <paramref name="what"/> in a failure's log line) and returns at
    /// once; the returned task ends when it is closed, and never faults.
    /// </summary>
    public Task Close(IAsyncDisposable resource, string what)
    {
        var closing = CloseAsync(resource, what);
        _underWay[closing] = what;
        _ = closing.ContinueWith(done => _underWay.TryRemove(done, out _), TaskScheduler.Default);
        return closing;
    }

    private async Task CloseAsync(IAsyncDisposable resource, string what)
    {
        try
        {
            await resource.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _log.Warning("Closing {0} failed: {1}", what, e.GetBaseException().Message);
        }
    }

    /// <summary>Akka's provider of the extension.</summary>
    private sealed class ResourceCloserProvider : ExtensionIdProvider<ResourceCloser>
    {
        public override ResourceCloser CreateExtension(ExtendedActorSystem system) => new(system);
    }
}
