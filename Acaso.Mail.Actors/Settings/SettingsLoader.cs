using System.Globalization;
using System.Reflection;
using Acaso.Mail.Actors.Contract;
using Akka.Configuration;
using Quartz;

namespace Acaso.Mail.Actors.Settings;

/// <summary>A setting's value is not acceptable: the message names the setting and what it accepts.</summary>
public sealed class SettingsException(string message) : Exception(message);

/// <summary>
/// Loads <see cref="MailSettings"/>: the HOCON defaults embedded from <c>hocon/</c>, then the environment
/// variables of <see cref="EnvironmentVariables"/> on top, then validation.
/// </summary>
public static class SettingsLoader
{
    /// <summary>Every environment variable the service reads, and the HOCON path under <c>acaso.mail</c> it sets.</summary>
    public static readonly IReadOnlyDictionary<string, string> EnvironmentVariables = new Dictionary<string, string>
    {
        ["QUEUE_SERVICE_URL"] = "queue.url",
        ["MAIL_QUEUE_NAME"] = "queue.name",
        ["MAIL_QUEUE_DURABLE"] = "queue.durable",
        ["MAIL_QUEUE_MAX_PRIORITY"] = "queue.max-priority",
        ["MAIL_MAX_FAILED_WINDOWS"] = "queue.max-failed-windows",
        ["MAIL_DURABLE_INBOX"] = "queue.durable-inbox",
        ["MAIL_BROKER_HEARTBEAT_SECONDS"] = "queue.heartbeat-seconds",
        ["SENDINBLUE_URL"] = "brevo.url",
        ["SENDINBLUE_API_KEY"] = "brevo.api-key",
        ["MAIL_BREVO_SANDBOX"] = "brevo.sandbox",
        ["MAIL_BUDGET_MODE"] = "budget.mode",
        ["MAIL_RATE_PER_SECOND"] = "budget.rate-per-second",
        ["MAIL_DAILY_LIMIT"] = "budget.daily-limit",
        ["SENDINBLUE_MAILS_PER_HOUR"] = "budget.per-hour",
        ["MAIL_TIMEZONE"] = "budget.timezone",
        ["MAIL_HOURLY_CRON"] = "budget.hourly-cron",
        ["MAIL_END_OF_DAY_CRON"] = "budget.end-of-day-cron",
        ["MAIL_EXPIRY_GRACE"] = "contract.expiry-grace",
        ["MAIL_URGENT_PRIORITY"] = "urgent.priority",
        ["MAIL_URGENT_POLL_SECONDS"] = "urgent.poll-seconds",
        ["MAIL_URGENT_BORROW_WINDOWS"] = "urgent.borrow-windows",
        ["MAIL_SEND_PARALLELISM"] = "sending.parallelism",
        ["MAIL_METRICS_PORT"] = "metrics-port",
        ["MAIL_STATE_DIR"] = "state-dir",
        ["MAIL_LOG_FORMAT"] = "log-format",
        ["MAIL_WEBHOOK_TOKEN"] = "delivery.webhook-token",
        ["MAIL_SOFT_BOUNCE_LIMIT"] = "delivery.soft-bounce-limit",
        ["MAIL_SYNC_BREVO_BLOCKLIST"] = "delivery.sync-brevo-blocklist",
        ["MAIL_HISTORY_DAYS"] = "delivery.history-days",
        ["MAIL_CONSOLE_PASSWORD"] = "console.password",
        ["MAIL_TRUSTED_PROXIES"] = "trusted-proxies",
        ["MAIL_DATABASE_URL"] = "database.url",
        ["MAIL_CLUSTER_SEEDS"] = "cluster.seeds",
        ["MAIL_CLUSTER_HOSTNAME"] = "cluster.hostname",
        ["MAIL_CLUSTER_PORT"] = "cluster.port",
        ["MAIL_CLUSTER_STABLE_AFTER"] = "cluster.stable-after",
        ["MAIL_CLUSTER_TLS_CERT"] = "cluster.tls-cert",
        ["MAIL_CLUSTER_TLS_PASSWORD"] = "cluster.tls-password",
        ["MAIL_CLUSTER_TLS_REQUIRED"] = "cluster.tls-required",
        ["MAIL_CLUSTER_DISCOVERY"] = "cluster.discovery",
        ["MAIL_CLUSTER_POD_SELECTOR"] = "cluster.pod-selector",
        ["MAIL_KUBERNETES_SERVICE_ACCOUNT_DIR"] = "cluster.service-account-dir",
        ["MAIL_CLUSTER_CONTACT_POINTS"] = "cluster.contact-points",
        ["MAIL_CLUSTER_REQUIRED_CONTACTS"] = "cluster.required-contacts",
        ["MAIL_MANAGEMENT_PORT"] = "cluster.management-port",
        ["MAIL_CLUSTER_NEW_CLUSTER_ENABLED"] = "cluster.new-cluster-enabled",
        ["MAIL_LISTEN_ADDRESS"] = "listen-address",
    };

    /// <summary>
    /// The variables Kubernetes sets in every pod for its API server, read when <c>MAIL_CLUSTER_DISCOVERY=kubernetes</c>
    /// (as a pod's own client libraries read them).
    /// </summary>
    public static readonly IReadOnlyList<string> KubernetesVariables = ["KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"];

    /// <summary>The embedded HOCON file <paramref name="name"/> (for example <c>akka.hocon</c>).</summary>
    public static Config Embedded(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("hocon." + name)
            ?? throw new InvalidOperationException($"embedded HOCON '{name}' is missing from the build");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    /// <summary>The embedded defaults alone, whatever the environment says (the simulator's zone and schedule).</summary>
    public static MailSettings Defaults => Load(_ => null);

    /// <summary>Loads from the process environment.</summary>
    public static MailSettings FromEnvironment() =>
        Load(name => Environment.GetEnvironmentVariable(name));

    /// <summary>Loads with <paramref name="environment"/> as the variable source and optional HOCON overrides on top.</summary>
    public static MailSettings Load(Func<string, string?> environment, Config? overrides = null)
    {
        var config = Embedded("acaso-mail.hocon");
        var origins = new Dictionary<string, string>();
        foreach (var (variable, path) in EnvironmentVariables)
        {
            var value = environment(variable);
            if (value is null)
            {
                continue;
            }

            config = ConfigurationFactory.ParseString($"acaso.mail.{path} = {SettingsValues.Quote(value)}").WithFallback(config);
            origins[path] = variable;
        }

        if (overrides is not null)
        {
            config = overrides.WithFallback(config);
        }

        return new Reader(config.GetConfig("acaso.mail"), origins, environment).Read();
    }

    /// <summary>Which values make <see cref="MailSettings"/>; how each is read and refused is <see cref="SettingsValues"/>'s.</summary>
    private sealed class Reader(Config config, IReadOnlyDictionary<string, string> origins, Func<string, string?> environment)
        : SettingsValues(config, origins)
    {
        public MailSettings Read()
        {
            var zone = Zone("budget.timezone");
            var queueUrl = Url("queue.url", "amqp", "amqps");
            var queue = new QueueSettings(queueUrl, NonEmpty("queue.name"), Bool("queue.durable"),
                Int("queue.max-priority", 1, 255), Duration("queue.poll-interval", TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1)),
                Int("queue.max-failed-windows", 1, 100_000),
                Bool("queue.durable-inbox"),
                TimeSpan.FromSeconds(Int("queue.heartbeat-seconds", 1, 600)),
                Duration("queue.operation-timeout", TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5)));
            var brevo = new BrevoSettings(
                Url("brevo.url", "http", "https"),
                new Secret(Config.GetString("brevo.api-key") ?? ""),
                Bool("brevo.sandbox"),
                Duration("brevo.attempt-timeout", TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(5)),
                Int("brevo.retry-attempts", 0, 100),
                Duration("brevo.retry-base-delay", TimeSpan.Zero, TimeSpan.FromMinutes(10)),
                Duration("brevo.retry-max-delay", TimeSpan.Zero, TimeSpan.FromHours(1)),
                Duration("brevo.breaker-break", TimeSpan.FromMilliseconds(500), TimeSpan.FromHours(1)));
            var budget = new BudgetSettings(
                Int("budget.daily-limit", 1, 10_000_000),
                Int("budget.per-hour", 0, 10_000_000),
                zone,
                Cron("budget.hourly-cron"),
                Cron("budget.end-of-day-cron"),
                Int("urgent.borrow-windows", 0, 24),
                OneOf("budget.mode", "daily", "unlimited") == "unlimited",
                Int("budget.rate-per-second", 1, 1_000_000));
            var urgent = new UrgentSettings(Int("urgent.priority", 0, 256), TimeSpan.FromSeconds(Int("urgent.poll-seconds", 1, 3600)));
            var contract = new ParserOptions(
                Int("contract.max-body-bytes", 256, 16 * 1024 * 1024),
                Int("contract.max-depth", 4, 256),
                Duration("contract.expiry-grace", TimeSpan.Zero, TimeSpan.FromDays(3650)));
            var database = Database("database.url");
            var cluster = new ClusterSettings(HostPorts("cluster.seeds", "mail-1:4053,mail-2:4053, or nothing (one node)"), NonEmpty("cluster.hostname"), Int("cluster.port", 1, 65535),
                Duration("cluster.stable-after", TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)))
            {
                Tls = Tls("cluster.tls-cert", "cluster.tls-password"),
                Discovery = Discovery("cluster.discovery"),
                ManagementPort = Int("cluster.management-port", 1, 65535),
                RequiredContacts = Int("cluster.required-contacts", 1, 100),
                NewClusterEnabled = Bool("cluster.new-cluster-enabled"),
            };
            var metricsPort = Int("metrics-port", 0, 65535);
            if (cluster.Discovery is not null && cluster.ManagementPort == metricsPort)
            {
                throw new SettingsException($"{Variable("cluster.management-port")} and {Variable("metrics-port")} are both {metricsPort}: Cluster Bootstrap's " +
                    "contact point needs a port of its own");
            }

            if (cluster.Discovery is not null && cluster.Seeds.Count > 0)
            {
                throw new SettingsException($"{Variable("cluster.discovery")} and {Variable("cluster.seeds")} are both set: a node finds its cluster " +
                    "either through Cluster Bootstrap or through fixed seeds. Unset one of them");
            }

            if (cluster.Tls is null && Bool("cluster.tls-required"))
            {
                // A plain node dialling TLS peers makes their outbound handshakes fail, and Akka.Remote shuts a node
                // down for that (akka.net #7839): refusing here keeps one node's missing secret from stopping the others.
                throw new SettingsException(
                    $"{Name("cluster.tls-required")} is on but MAIL_CLUSTER_TLS_CERT (acaso.mail.cluster.tls-cert) is not set: this node would " +
                    "speak plain TCP to a cluster that runs on TLS. Mount the cluster certificate and set MAIL_CLUSTER_TLS_CERT and MAIL_CLUSTER_TLS_PASSWORD");
            }

            if (cluster.Enabled && database.Postgres is null)
            {
                throw new SettingsException(
                    $"{(cluster.Discovery is null ? Name("cluster.seeds") : Name("cluster.discovery"))} is set but MAIL_DATABASE_URL (acaso.mail.database.url) is not: the nodes of a cluster share one budget, sent ledger and " +
                    "failed-window counts, which a SQLite file on one node cannot hold. Set it to postgresql://user:password@host:5432/db");
            }

            return new MailSettings(queue, brevo, budget, urgent, contract,
                Int("sending.parallelism", 1, 1024),
                metricsPort,
                NonEmpty("state-dir"),
                OneOf("log-format", "text", "json") == "json",
                new WebhookSettings(new Secret(Config.GetString("delivery.webhook-token") ?? ""), Int("delivery.soft-bounce-limit", 1, 1000),
                    Bool("delivery.sync-brevo-blocklist"), Int("delivery.history-days", 1, 3650)))
            {
                Database = database,
                Cluster = cluster,
                ConsolePassword = new Secret(Config.GetString("console.password") ?? ""),
                TrustedProxies = Networks("trusted-proxies"),
                ListenAddress = Address("listen-address"),
            };
        }

        /// <summary>Cluster Bootstrap's discovery: nothing, <c>kubernetes</c> (with what a pod is given) or <c>config</c>.</summary>
        private ClusterDiscovery? Discovery(string path)
        {
            var method = Raw(path).Trim().ToLowerInvariant();
            switch (method)
            {
                case "kubernetes":
                    var host = environment(KubernetesVariables[0])?.Trim();
                    var port = environment(KubernetesVariables[1])?.Trim();
                    if (string.IsNullOrEmpty(host) || string.IsNullOrEmpty(port) || !int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out _) ||
                        !Uri.TryCreate($"https://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port}", UriKind.Absolute, out var api))
                    {
                        throw new SettingsException($"{Name(path)}=kubernetes but KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT do not name the API " +
                            "server: Kubernetes sets them in every pod; outside a cluster, set them to the API server's host and port");
                    }

                    var kubernetes = new ClusterDiscovery.Kubernetes(api, NonEmpty("cluster.service-account-dir"), NonEmpty("cluster.pod-selector"));
                    foreach (var file in new[] { kubernetes.TokenPath, kubernetes.CertificateAuthorityPath, kubernetes.NamespacePath })
                    {
                        if (!File.Exists(file))
                        {
                            throw new SettingsException($"{Name(path)}=kubernetes but {file} does not exist: mount the pod's service account " +
                                $"(automountServiceAccountToken), or set {Variable("cluster.service-account-dir")} to a folder with its token, ca.crt and namespace");
                        }
                    }

                    return kubernetes;
                case "config":
                    var contacts = HostPorts("cluster.contact-points", "mail-1:8558,mail-2:8558,mail-3:8558");
                    return contacts.Count > 0
                        ? new ClusterDiscovery.Config(contacts)
                        : throw new SettingsException($"{Name(path)}=config but {Variable("cluster.contact-points")} is empty: list the nodes' " +
                            "management endpoints, such as mail-1:8558,mail-2:8558,mail-3:8558");
                case "":
                    return null;
                default:
                    throw Bad(path, "kubernetes, config, or nothing (the seeds of MAIL_CLUSTER_SEEDS)");
            }
        }

        /// <summary>The cluster's certificate, opened once here so a wrong path or password stops the start (never printing it).</summary>
        private ClusterTls? Tls(string certificatePath, string passwordPath)
        {
            var path = Config.GetString(certificatePath) ?? "";
            if (path.Length == 0)
            {
                return null;
            }

            var tls = new ClusterTls(path, new Secret(Config.GetString(passwordPath) ?? ""));
            try
            {
                if (!tls.Load().HasPrivateKey)
                {
                    throw new SettingsException($"{Name(certificatePath)} ({path}) holds no private key: a node must present its certificate");
                }
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
            {
                throw new SettingsException(
                    $"{Name(certificatePath)} ({path}) could not be opened as PKCS#12 with {Name(passwordPath)}: {e.GetType().Name}");
            }

            return tls;
        }

        private DatabaseSettings Database(string path)
        {
            var text = Raw(path).Trim();
            if (text.Length == 0)
            {
                return new DatabaseSettings(null);
            }

            return Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "postgresql" or "postgres" && uri.AbsolutePath.Length > 1
                ? new DatabaseSettings(uri)
                : throw new SettingsException($"{Name(path)} is not valid: it accepts nothing (SQLite under the state dir) or a " +
                    "postgresql://user:password@host:5432/database URL");
        }
    }
}
