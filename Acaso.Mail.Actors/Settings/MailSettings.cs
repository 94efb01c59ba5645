using Acaso.Mail.Actors.Contract;

namespace Acaso.Mail.Actors.Settings;

/// <summary>Where the queue is and how it is declared.</summary>
/// <param name="Url">The broker URL (<c>QUEUE_SERVICE_URL</c>).</param>
/// <param name="Name">The queue name (<c>MAIL_QUEUE_NAME</c>).</param>
/// <param name="Durable">Whether the queue is declared durable (the contract: false).</param>
/// <param name="MaxPriority">The queue's <c>x-max-priority</c> (the contract: 255); the inbox is declared with it too.</param>
/// <param name="PollInterval">How often a reader holding tokens looks again at an empty queue.</param>
/// <param name="MaxFailedWindows">Windows in a row Brevo may fail on a mail before it is dead-lettered (<c>MAIL_MAX_FAILED_WINDOWS</c>).</param>
/// <param name="DurableInbox">Move each mail at once into the durable <see cref="Inbox"/> and read it there (<c>MAIL_DURABLE_INBOX</c>).</param>
/// <param name="Heartbeat">The AMQP heartbeat asked of the broker (<c>MAIL_BROKER_HEARTBEAT_SECONDS</c>).</param>
/// <param name="OperationTimeout">The most any broker operation (connect, take, publish and its confirm) may take.</param>
public sealed record QueueSettings(Uri Url, string Name, bool Durable, int MaxPriority, TimeSpan PollInterval, int MaxFailedWindows = 24,
    bool DurableInbox = false, TimeSpan? Heartbeat = null, TimeSpan? OperationTimeout = null)
{
    /// <summary>The durable queue where refused and permanently failed mail is kept with its reason.</summary>
    public string DeadLetterQueue => Name + ".dead-letters";

    /// <summary>The service's own durable priority queue, where the mover keeps every mail persistent until it is sent.</summary>
    public string Inbox => Name + ".inbox";

    /// <summary>The queue every take reads: the inbox, or the producer's queue itself when the inbox is off.</summary>
    public string ReadQueue => DurableInbox ? Inbox : Name;

    /// <summary>The heartbeat, 5 s unless set.</summary>
    public TimeSpan HeartbeatInterval => Heartbeat ?? TimeSpan.FromSeconds(5);

    /// <summary>The operation timeout, 5 s unless set.</summary>
    public TimeSpan Timeout => OperationTimeout ?? TimeSpan.FromSeconds(5);

    /// <summary>The URL with its password masked, for logs.</summary>
    public string SafeUrl => Secret.MaskPassword(Url);
}

/// <summary>How Brevo is called.</summary>
/// <param name="Url">The API base (<c>SENDINBLUE_URL</c>).</param>
/// <param name="ApiKey">The API key (<c>SENDINBLUE_API_KEY</c>); never printed.</param>
/// <param name="Sandbox">Send <c>X-Sib-Sandbox: drop</c> with every mail.</param>
/// <param name="AttemptTimeout">Time allowed for one HTTP attempt.</param>
/// <param name="RetryAttempts">Retries of a transient failure within one send.</param>
/// <param name="RetryBaseDelay">The first retry's delay; later ones grow exponentially, with jitter.</param>
/// <param name="RetryMaxDelay">No retry waits longer than this, not even a 429's reset.</param>
/// <param name="BreakerBreak">How long the circuit stays open after Brevo keeps failing.</param>
public sealed record BrevoSettings(
    Uri Url, Secret ApiKey, bool Sandbox, TimeSpan AttemptTimeout, int RetryAttempts, TimeSpan RetryBaseDelay,
    TimeSpan RetryMaxDelay, TimeSpan BreakerBreak);

/// <summary>The daily budget and its schedule.</summary>
/// <param name="DailyLimit">Mails a day (<c>MAIL_DAILY_LIMIT</c>).</param>
/// <param name="PerHour">Tokens at each hourly tick (<c>SENDINBLUE_MAILS_PER_HOUR</c>).</param>
/// <param name="Zone">The zone of the day boundary and the cron triggers (<c>MAIL_TIMEZONE</c>).</param>
/// <param name="HourlyCron">Quartz cron of the hourly grant (<c>MAIL_HOURLY_CRON</c>).</param>
/// <param name="EndOfDayCron">Quartz cron of the end-of-day flush (<c>MAIL_END_OF_DAY_CRON</c>).</param>
/// <param name="UrgentBorrowWindows">How many coming hourly windows urgent mail may borrow from (<c>MAIL_URGENT_BORROW_WINDOWS</c>).</param>
/// <param name="Unlimited">Paid plans (<c>MAIL_BUDGET_MODE=unlimited</c>): no daily cap, a window of <paramref name="RatePerSecond"/> tokens every second.</param>
/// <param name="RatePerSecond">Sends a second in unlimited mode (<c>MAIL_RATE_PER_SECOND</c>).</param>
public sealed record BudgetSettings(int DailyLimit, int PerHour, TimeZoneInfo Zone, string HourlyCron, string EndOfDayCron, int UrgentBorrowWindows = 1,
    bool Unlimited = false, int RatePerSecond = 100)
{
    /// <summary>The most tokens urgent mail may owe the coming windows.</summary>
    public int BorrowLimit => PerHour * UrgentBorrowWindows;
}

/// <summary>The urgent lane: urgent mail goes out within seconds, on tokens borrowed from the coming window.</summary>
/// <param name="Priority">Mail at or above this priority is urgent (<c>MAIL_URGENT_PRIORITY</c>; 256 turns the lane off).</param>
/// <param name="PollInterval">How often the reader looks at the queue head between windows (<c>MAIL_URGENT_POLL_SECONDS</c>).</param>
public sealed record UrgentSettings(int Priority, TimeSpan PollInterval)
{
    /// <summary>The lane is on (a threshold of 256 is above every priority).</summary>
    public bool Enabled => Priority <= 255;

    /// <summary>The old policy exactly: no urgent lane.</summary>
    public static UrgentSettings Off { get; } = new(256, TimeSpan.FromSeconds(3));
}

/// <summary>Brevo's delivery events and what the service does with them.</summary>
/// <param name="Token">The bearer token Brevo's webhook must carry (<c>MAIL_WEBHOOK_TOKEN</c>); empty: no webhook endpoint.</param>
/// <param name="SoftBounceLimit">Soft bounces in a row within 7 days that suppress an address (<c>MAIL_SOFT_BOUNCE_LIMIT</c>).</param>
/// <param name="SyncBrevoBlocklist">Import Brevo's blocked contacts at start (<c>MAIL_SYNC_BREVO_BLOCKLIST</c>).</param>
/// <param name="HistoryDays">How long a mail's history is kept (<c>MAIL_HISTORY_DAYS</c>).</param>
public sealed record WebhookSettings(Secret Token, int SoftBounceLimit, bool SyncBrevoBlocklist, int HistoryDays);

/// <summary>
/// All of the service's settings, validated. <c>JsonLogs</c>: <c>MAIL_LOG_FORMAT=json</c>, one JSON object a log line;
/// <c>Delivery</c>: Brevo's delivery events (the webhook, the suppression list, the history).
/// </summary>
public sealed record MailSettings(
    QueueSettings Queue,
    BrevoSettings Brevo,
    BudgetSettings Budget,
    UrgentSettings Urgent,
    ParserOptions Contract,
    int SendParallelism,
    int MetricsPort,
    string StateDir,
    bool JsonLogs,
    WebhookSettings Delivery)
{
    /// <summary>How requests are rendered under these settings.</summary>
    public RenderOptions Render => new(Budget.Zone, Brevo.Sandbox);

    /// <summary>Where the shared state lives (<c>MAIL_DATABASE_URL</c>).</summary>
    public DatabaseSettings Database { get; init; } = new(null);

    /// <summary>Whether and how the node joins a cluster (<c>MAIL_CLUSTER_*</c>).</summary>
    public ClusterSettings Cluster { get; init; } = ClusterSettings.Alone;

    /// <summary>The operator console's password (<c>MAIL_CONSOLE_PASSWORD</c>); empty: the console is off and <c>/console</c> answers 404.</summary>
    public Secret ConsolePassword { get; init; } = new("");

    /// <summary>
    /// The proxies whose <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> count (<c>MAIL_TRUSTED_PROXIES</c>, addresses or
    /// CIDR ranges); none: a request's client and scheme are its connection's, whatever headers it carries.
    /// </summary>
    public IReadOnlyList<System.Net.IPNetwork> TrustedProxies { get; init; } = [];

    /// <summary>
    /// The address the node's listeners bind (<c>MAIL_LISTEN_ADDRESS</c>): Kestrel's port, Akka.Remote's and
    /// Akka.Management's; null: every address. Pods sharing one host for a spec each bind their own.
    /// </summary>
    public System.Net.IPAddress? ListenAddress { get; init; }
}

/// <summary>Where the budget keeper's journal, the sent ledger, the failed-window counts and the suppression list live.</summary>
/// <param name="Postgres">A <c>postgresql://</c> URL (<c>MAIL_DATABASE_URL</c>); null: SQLite files under the state dir.</param>
public sealed record DatabaseSettings(Uri? Postgres)
{
    /// <summary>For logs: SQLite and the state dir, or the URL with its password masked.</summary>
    public string Describe(string stateDir) => Postgres is null ? $"SQLite under {stateDir}" : SafeUrl!;

    /// <summary>The PostgreSQL URL with its password masked (null for SQLite).</summary>
    public string? SafeUrl => Postgres is null ? null : Secret.MaskPassword(Postgres);

    /// <inheritdoc />
    public override string ToString() => $"DatabaseSettings {{ Postgres = {SafeUrl ?? "(none: SQLite)"} }}";
}
