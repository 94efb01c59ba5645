using Acaso.Mail.Actors.Events;
using Akka.Actor;
using Akka.Event;
using Akka.Hosting;

namespace Acaso.Mail.Actors.Storage;

/// <summary>
/// Watches the state's database (<see cref="MailDatabase.Probe"/> off its own thread, within <see cref="ProbeTimeout"/>,
/// <see cref="ProbeInterval"/> after the last probe ended) and publishes <see cref="MailEvents.DatabaseHealth"/> at
/// start and on each change, for <c>mail_database_up</c> and <c>/readyz</c>: an outage shows within seconds, and so
/// does the return. It only watches: the stores and the keeper's journal ride out the outage on their own.
/// </summary>
public sealed class DatabaseWatchActor : ReceiveActor, IWithTimers
{
    private const string ProbeTimer = "probe";

    /// <summary>How long after one probe ended the next begins.</summary>
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(2);

    /// <summary>How long a probe may take before the database counts as unreachable.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly MailDatabase _database;
    private bool? _up;

    /// <summary>Watches <paramref name="database"/>.</summary>
    public DatabaseWatchActor(MailDatabase database)
    {
        _database = database;
        Receive<Probe>(_ => Task.Run(database.Probe).WaitAsync(ProbeTimeout)
            .PipeTo(Self, success: () => new ProbeResult(null), failure: e => new ProbeResult(e.GetBaseException())));
        Receive<ProbeResult>(Handle);
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for the watch over <paramref name="database"/>.</summary>
    public static Props Props(MailDatabase database) => Akka.Actor.Props.Create(() => new DatabaseWatchActor(database));

    /// <inheritdoc />
    protected override void PreStart() => Self.Tell(Probe.Instance);

    private void Handle(ProbeResult result)
    {
        var up = result.Failure is null;
        if (up != _up)
        {
            var detail = result.Failure is TimeoutException ? $"no answer within {ProbeTimeout.TotalSeconds:0} s" : result.Failure?.Message;
            if (up)
            {
                _log.Info("The database answers");
            }
            else
            {
                _log.Warning("The database is unreachable: {Detail}", detail);
            }

            if (_up is not null)
            {
                // Connections pooled before the change are dead (or about to be): none is tried again.
                _database.ClearPools();
            }

            _up = up;
            Context.System.EventStream.Publish(new MailEvents.DatabaseHealth(up, detail));
        }

        Timers.StartSingleTimer(ProbeTimer, Probe.Instance, ProbeInterval);
    }

    private sealed record Probe
    {
        public static readonly Probe Instance = new();
    }

    /// <summary>What a probe found. One that comes after the actor stopped tells nobody anything, and is no dead letter (its line would print the exception's stack).</summary>
    private sealed record ProbeResult(Exception? Failure) : IDeadLetterSuppression;
}

/// <summary>Registers the database watch.</summary>
public static class DatabaseWatchActorHostingExtensions
{
    /// <summary>Starts the watch over <paramref name="database"/> (after the Metrics actor, so its first word is counted).</summary>
    public static AkkaConfigurationBuilder AddDatabaseWatchActor(this AkkaConfigurationBuilder builder, MailDatabase database) =>
        builder.WithActors((system, registry) =>
            registry.Register<DatabaseWatchActor>(system.ActorOf(DatabaseWatchActor.Props(database), "database-watch")));
}
