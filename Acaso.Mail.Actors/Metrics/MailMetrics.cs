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
        TokensGranted = factory.CreateCounter("mail_tokens_granted_total", "Send tokens granted by windows, by kind (hourly, end_of_day).", "kind");
        TokensLeftToday = factory.CreateGauge("mail_tokens_left_today", "Mails the day can still spend (daily limit minus spent minus in flight).");
        TokensSpentToday = factory.CreateGauge("mail_tokens_spent_today", "Mails charged today.");
        WindowTokensLeft = factory.CreateGauge("mail_window_tokens_left", "Tokens the current window can still hand out.");
        SendLatency = factory.CreateHistogram("mail_send_latency_seconds", "From the first attempt to Brevo's acceptance, retries included.",
            new HistogramConfiguration { Buckets = LatencyBuckets });
        BrokerUp = factory.CreateGauge("mail_broker_up", "1 while the RabbitMQ connection is up.");
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
    public Counter TokensGranted { get; }
    public Gauge TokensLeftToday { get; }
    public Gauge TokensSpentToday { get; }
    public Gauge WindowTokensLeft { get; }
    public Histogram SendLatency { get; }
    public Gauge BrokerUp { get; }
}
