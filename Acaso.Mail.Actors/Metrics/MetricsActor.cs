using System.Globalization;
using Acaso.Mail.Actors.Events;
using Akka.Actor;
using Akka.Hosting;

namespace Acaso.Mail.Actors.Metrics;

/// <summary>
/// Subscribes to every <see cref="MailEvents"/> on the event stream (what happens to mail and to the budget), and keeps the Prometheus series of
/// <see cref="MailMetrics"/> up to date. The only writer of the metrics.
/// </summary>
public sealed class MetricsActor : ReceiveActor
{
    private readonly MailMetrics _metrics;
    private readonly ServiceHealth _health;

    /// <summary>Creates the actor over <paramref name="metrics"/>; <paramref name="health"/> learns the broker's state.</summary>
    public MetricsActor(MailMetrics metrics, ServiceHealth health)
    {
        _metrics = metrics;
        _health = health;
        Receive<MailEvents.Taken>(e => _metrics.Taken.WithLabels(e.Redelivered ? "true" : "false").Inc());
        Receive<MailEvents.Sent>(Handle);
        Receive<MailEvents.SendFailed>(Handle);
        Receive<MailEvents.DeadLettered>(e => _metrics.DeadLetters.WithLabels(e.Reason).Inc());
        Receive<MailEvents.SendRetried>(e => _metrics.Retries.WithLabels(e.Reason).Inc());
        Receive<MailEvents.AlreadySent>(_ => _metrics.AlreadySent.Inc());
        Receive<MailEvents.BrokerConnection>(Handle);
        Receive<MailEvents.BrokerBlocked>(blocked =>
        {
            _health.SetBlocked(blocked.Source, blocked.Reason);
            _metrics.BrokerBlocked.Set(_health.BrokerBlocked ? 1 : 0);
        });
        Receive<MailEvents.MovedToInbox>(moved => _metrics.MovedToInbox.Inc(moved.Count));
        Receive<MailEvents.DeliveryReported>(e =>
            _metrics.DeliveryEvents.WithLabels(e.Event, e.Template is { } t ? t.ToString(CultureInfo.InvariantCulture) : "unknown").Inc());
        Receive<MailEvents.Suppressed>(e => _metrics.Suppressed.WithLabels(e.Reason).Inc());
        Receive<MailEvents.TokensGranted>(e => _metrics.TokensGranted.WithLabels(e.Kind).Inc(e.Tokens));
        Receive<MailEvents.BudgetChanged>(Handle);
        Receive<MailEvents.DatabaseHealth>(e =>
        {
            _metrics.DatabaseUp.Set(e.Up ? 1 : 0);
            _health.DatabaseProblem = e.Up ? null : "database unreachable" + (e.Detail is { } detail ? $" ({detail})" : "");
        });
        Receive<MailEvents.KeeperHere>(e => _metrics.KeeperHere.Set(e.Here ? 1 : 0));
        Receive<MailEvents.ClusterChanged>(e =>
        {
            _metrics.ClusterMembers.Set(e.Members);
            _health.ClusterProblem = e.Problem;
        });
        Receive<MailEvents.QueueHead>(head =>
        {
            _metrics.QueueHeadPriority.Set(head.Priority is { } p ? p : -1);
            _metrics.QueueDepth.Set(head.Depth);
        });
    }

    /// <summary>Props for the actor.</summary>
    public static Props Props(MailMetrics metrics, ServiceHealth health) =>
        Akka.Actor.Props.Create(() => new MetricsActor(metrics, health));

    /// <inheritdoc />
    protected override void PreStart()
    {
        var stream = Context.System.EventStream;
        foreach (var type in typeof(MailEvents).GetNestedTypes())
        {
            stream.Subscribe(Self, type);
        }
    }

    /// <inheritdoc />
    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    private void Handle(MailEvents.Sent sent)
    {
        _metrics.MailsSent.Inc();
        _metrics.PayloadTemplate.WithLabels(((int)sent.Template).ToString(CultureInfo.InvariantCulture)).Inc();
        _metrics.PayloadPriority.WithLabels(sent.Priority.ToString(CultureInfo.InvariantCulture)).Inc();
        _metrics.SendLatency.Observe(sent.Latency.TotalSeconds);
        _metrics.QueueWait.WithLabels(sent.Urgent ? "urgent" : "normal").Observe(sent.QueueWait.TotalSeconds);
        if (sent.Urgent)
        {
            _metrics.UrgentSent.WithLabels(sent.Borrowed ? "true" : "false").Inc();
        }
    }

    private void Handle(MailEvents.SendFailed failed)
    {
        _metrics.MailsFailed.Inc();
        _metrics.SendFailures.WithLabels(failed.Reason, failed.Requeued ? "true" : "false").Inc();
        if (failed.Urgent)
        {
            _metrics.UrgentFailures.WithLabels(failed.Reason).Inc();
        }
    }

    private void Handle(MailEvents.BrokerConnection connection)
    {
        _metrics.BrokerUp.Set(connection.Connected ? 1 : 0);
        _metrics.BrokerConnected.Set(connection.Connected ? 1 : 0);
        _health.BrokerConnected = connection.Connected;
        _health.BrokerDetail = connection.Detail;
    }

    private void Handle(MailEvents.BudgetChanged status)
    {
        _metrics.TokensLeftToday.Set(status.LeftToday);
        _metrics.TokensSpentToday.Set(status.Spent);
        _metrics.WindowTokensLeft.Set(status.WindowLeft);
        _metrics.TokensBorrowed.Set(status.Borrowed);
    }
}

/// <summary>Registers the Metrics actor.</summary>
public static class MetricsActorHostingExtensions
{
    /// <summary>Starts the Metrics actor first, so it sees every event from the start.</summary>
    public static AkkaConfigurationBuilder AddMetricsActor(this AkkaConfigurationBuilder builder,
        MailMetrics metrics, ServiceHealth health) =>
        builder.WithActors((system, registry) =>
            registry.Register<MetricsActor>(system.ActorOf(MetricsActor.Props(metrics, health), "metrics")));
}
