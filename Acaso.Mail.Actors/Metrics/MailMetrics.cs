using Prometheus;

namespace Acaso.Mail.Actors.Metrics;

/// <summary>
/// Every series the service exposes. The first four keep the old Python consumer's exposed names, so existing
/// dashboards and alerts keep working; the rest are new.
/// </summary>
public sealed class MailMetrics
{
    private static readonly double[] LatencyBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

    /// <summary>Builds the series in <paramref name="registry"/>.</summary>
    public MailMetrics(CollectorRegistry registry)
    {
        Registry = registry;
        var factory = Prometheus.Metrics.WithCustomRegistry(registry);
        MailsSent = factory.CreateCounter("mails_sent_total", "Mails Brevo accepted.");
        MailsFailed = factory.CreateCounter("mails_fails_total", "Sends that ended without success (requeued or dead-lettered).");
        PayloadTemplate = factory.CreateCounter("payload_template_total", "Mails sent, by Brevo template id.", "template");
        PayloadPriority = factory.CreateCounter("payload_priority_total", "Mails sent, by AMQP priority.", "priority");
        Taken = factory.CreateCounter("mail_taken_total", "Messages taken from the queue, redeliveries included.", "redelivered");
        SendFailures = factory.CreateCounter("mail_send_failures_total", "Sends that ended without success, by reason and whether the mail was requeued.", "reason", "requeued");
        DeadLetters = factory.CreateCounter("mail_dead_letters_total", "Messages moved to the dead-letter queue, by reason.", "reason");
        Retries = factory.CreateCounter("mail_send_retries_total", "Send attempts retried, by the failed attempt's reason.", "reason");
        AlreadySent = factory.CreateCounter("mail_already_sent_total",
            "Redelivered mails Brevo had already accepted before the service died (found in MAIL_STATE_DIR/sent.db): acked, not sent again.");
        TokensGranted = factory.CreateCounter("mail_tokens_granted_total", "Send tokens granted by windows, by kind (hourly, end_of_day; rate in unlimited mode).", "kind");
        TokensLeftToday = factory.CreateGauge("mail_tokens_left_today", "Mails the day can still spend (daily limit minus spent minus in flight).");
        TokensSpentToday = factory.CreateGauge("mail_tokens_spent_today", "Mails charged today.");
        WindowTokensLeft = factory.CreateGauge("mail_window_tokens_left", "Tokens the current window can still hand out.");
        SendLatency = factory.CreateHistogram("mail_send_latency_seconds", "From the first attempt to Brevo's acceptance, retries included.",
            new HistogramConfiguration { Buckets = LatencyBuckets });
        BrokerUp = factory.CreateGauge("mail_broker_up", "1 while the RabbitMQ connection is up.");
        BrokerConnected = factory.CreateGauge("mail_broker_connected",
            "1 while the reader's RabbitMQ connection answers its probe (a passive declare every 2 s, within the operation timeout).");
        BuildInfo = factory.CreateGauge("mail_build_info", "1, labelled with the running build's version and the git commit it was built from.",
            "version", "commit");
        DatabaseUp = factory.CreateGauge("mail_database_up",
            "1 while the state's database answers (PostgreSQL of MAIL_DATABASE_URL, or the SQLite files under MAIL_STATE_DIR).");
        BrokerBlocked = factory.CreateGauge("mail_broker_blocked", "1 while RabbitMQ blocks the service's publishes (a memory or disk alarm).");
        DeliveryEvents = factory.CreateCounter("mail_delivery_events_total",
            "Brevo's delivery events, by event (snake_case; unknown for names not known here) and template (from the message Brevo accepted, else the event's).",
            "event", "template");
        Suppressed = factory.CreateCounter("mail_suppressed_total",
            "Mails dead-lettered as suppressed (their address is on the suppression list) before any token or Brevo call, by the address's reason.", "reason");
        MovedToInbox = factory.CreateCounter("mail_inbox_moved_total", "Mails moved from the producer's queue into the durable inbox.");
        UrgentSent = factory.CreateCounter("mail_urgent_sent_total",
            "Urgent mails sent (priority at or above MAIL_URGENT_PRIORITY), by whether the token was borrowed from the coming window.", "borrowed");
        UrgentFailures = factory.CreateCounter("mail_urgent_failures_total",
            "Sends of urgent mail (priority at or above MAIL_URGENT_PRIORITY; 199 when the lane is off) that ended without success, by reason.", "reason");
        TokensBorrowed = factory.CreateGauge("mail_tokens_borrowed", "Tokens urgent mail has borrowed from the coming hourly window(s).");
        QueueWait = factory.CreateHistogram("mail_queue_wait_seconds",
            "From the first time the service saw a mail (the producer sets no timestamp, so not from its publish) to its send, by urgency.",
            new HistogramConfiguration { LabelNames = ["urgency"], Buckets = [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 7200, 21600, 86400] });
        QueueHeadPriority = factory.CreateGauge("mail_queue_head_priority", "The priority at the head of the queue when last looked (-1: empty).");
        QueueDepth = factory.CreateGauge("mail_queue_depth", "Messages ready in the queue when last looked.");
        ClusterMembers = factory.CreateGauge("mail_cluster_members", "Cluster members Up and reachable as this node sees them (1 for a node alone).");
        KeeperHere = factory.CreateGauge("mail_budget_keeper_here", "1 on the node that holds the budget keeper (the cluster singleton), else 0.");
        // A node alone is its own cluster of one; a clustered node corrects this once it has joined.
        ClusterMembers.Set(1);
    }

    /// <summary>The registry the series live in (scraped at / and /metrics).</summary>
    public CollectorRegistry Registry { get; }

    public Counter MailsSent { get; }
    public Counter MailsFailed { get; }
    public Counter PayloadTemplate { get; }
    public Counter PayloadPriority { get; }
    public Counter Taken { get; }
    public Counter SendFailures { get; }
    public Counter DeadLetters { get; }
    public Counter Retries { get; }
    public Counter AlreadySent { get; }
    public Counter TokensGranted { get; }
    public Gauge TokensLeftToday { get; }
    public Gauge TokensSpentToday { get; }
    public Gauge WindowTokensLeft { get; }
    public Histogram SendLatency { get; }
    public Gauge BrokerUp { get; }
    public Gauge BrokerConnected { get; }
    public Gauge BrokerBlocked { get; }
    public Gauge DatabaseUp { get; }
    public Gauge BuildInfo { get; }
    public Counter MovedToInbox { get; }
    public Counter DeliveryEvents { get; }
    public Counter Suppressed { get; }
    public Counter UrgentSent { get; }
    public Gauge TokensBorrowed { get; }
    public Counter UrgentFailures { get; }
    public Histogram QueueWait { get; }
    public Gauge QueueHeadPriority { get; }
    public Gauge QueueDepth { get; }
    public Gauge ClusterMembers { get; }
    public Gauge KeeperHere { get; }
}
