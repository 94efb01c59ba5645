using Acaso.Mail.Actors.Settings;

namespace Acaso.Mail.Actors.Tests.Settings;

public sealed class SettingsLoaderSpecs
{
    private static MailSettings Load(params (string Name, string Value)[] env)
    {
        var map = env.ToDictionary(e => e.Name, e => e.Value);
        return SettingsLoader.Load(name => map.GetValueOrDefault(name));
    }

    [Fact]
    public void Embedded_defaults_should_match_the_contract()
    {
        var s = Load();
        Assert.Equal("amqp://guest:guest@localhost:5672/%2f", s.Queue.Url.OriginalString);
        Assert.Equal("queue", s.Queue.Name);
        Assert.False(s.Queue.Durable);
        Assert.Equal(255, s.Queue.MaxPriority);
        Assert.Equal("queue.dead-letters", s.Queue.DeadLetterQueue);
        Assert.Equal("https://api.brevo.com/v3", s.Brevo.Url.OriginalString);
        Assert.True(s.Brevo.ApiKey.IsEmpty);
        Assert.Equal(300, s.Budget.DailyLimit);
        Assert.Equal(12, s.Budget.PerHour);
        Assert.Equal("America/Recife", s.Budget.Zone.Id);
        Assert.Equal("0 0 * * * ?", s.Budget.HourlyCron);
        Assert.Equal("0 5 23 * * ?", s.Budget.EndOfDayCron);
        Assert.Equal(5000, s.MetricsPort);
        Assert.Equal("./data", s.StateDir);
        Assert.Equal(64 * 1024, s.Contract.MaxBodyBytes);
    }

    [Fact]
    public void The_old_consumers_variables_should_keep_their_meaning()
    {
        var s = Load(("QUEUE_SERVICE_URL", "amqp://rabbitmq:secret@10.0.0.5:5672/rabbitmq"),
            ("SENDINBLUE_URL", "https://api.sendinblue.com/v3"),
            ("SENDINBLUE_API_KEY", "xkeysib-123"),
            ("SENDINBLUE_MAILS_PER_HOUR", "20"));
        Assert.Equal("10.0.0.5", s.Queue.Url.Host);
        Assert.Equal("api.sendinblue.com", s.Brevo.Url.Host);
        Assert.Equal("xkeysib-123", s.Brevo.ApiKey.Reveal());
        Assert.Equal(20, s.Budget.PerHour);
    }

    [Fact]
    public void The_new_variables_should_override_the_defaults()
    {
        var s = Load(("MAIL_DAILY_LIMIT", "10"), ("MAIL_TIMEZONE", "UTC"), ("MAIL_HOURLY_CRON", "0/5 * * * * ?"),
            ("MAIL_END_OF_DAY_CRON", "0 55 23 * * ?"), ("MAIL_QUEUE_NAME", "mails"), ("MAIL_METRICS_PORT", "9100"),
            ("MAIL_STATE_DIR", "/var/lib/acaso"));
        Assert.Equal(10, s.Budget.DailyLimit);
        Assert.Equal("UTC", s.Budget.Zone.Id);
        Assert.Equal("0/5 * * * * ?", s.Budget.HourlyCron);
        Assert.Equal("0 55 23 * * ?", s.Budget.EndOfDayCron);
        Assert.Equal("mails.dead-letters", s.Queue.DeadLetterQueue);
        Assert.Equal(9100, s.MetricsPort);
        Assert.Equal("/var/lib/acaso", s.StateDir);
    }

    [Theory]
    [InlineData("MAIL_DAILY_LIMIT", "lots", "whole number")]
    [InlineData("MAIL_DAILY_LIMIT", "0", "whole number from 1")]
    [InlineData("SENDINBLUE_MAILS_PER_HOUR", "-1", "whole number")]
    [InlineData("MAIL_TIMEZONE", "Mars/Olympus", "IANA time zone")]
    [InlineData("MAIL_HOURLY_CRON", "every hour", "Quartz cron")]
    [InlineData("MAIL_END_OF_DAY_CRON", "5 23 * * *", "Quartz cron")]
    [InlineData("QUEUE_SERVICE_URL", "localhost:5672", "amqp://")]
    [InlineData("SENDINBLUE_URL", "ftp://brevo", "http://")]
    [InlineData("MAIL_METRICS_PORT", "70000", "0 to 65535")]
    [InlineData("MAIL_EXPIRY_GRACE", "soon", "duration")]
    [InlineData("MAIL_BUDGET_MODE", "infinite", "daily or unlimited")]
    [InlineData("MAIL_URGENT_PRIORITY", "257", "0 to 256")]
    [InlineData("MAIL_CLUSTER_SEEDS", "mail-1", "host:port")]
    [InlineData("MAIL_CLUSTER_SEEDS", "mail-1:99999", "host:port")]
    [InlineData("MAIL_CLUSTER_PORT", "0", "whole number from 1")]
    [InlineData("MAIL_CLUSTER_STABLE_AFTER", "soon", "duration")]
    [InlineData("MAIL_DATABASE_URL", "mysql://db/acaso", "postgresql://")]
    [InlineData("MAIL_DATABASE_URL", "postgresql://db:5432", "postgresql://")]
    public void A_bad_value_should_stop_the_start_naming_the_setting_and_what_it_accepts(string name, string value, string accepts)
    {
        var e = Assert.Throws<SettingsException>(() => Load((name, value)));
        Assert.Contains(name, e.Message, StringComparison.Ordinal);
        Assert.Contains(accepts, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_should_run_alone_on_SQLite_unless_told_otherwise()
    {
        var s = Load();
        Assert.False(s.Cluster.Enabled);
        Assert.Null(s.Database.Postgres);
        Assert.Equal((4053, TimeSpan.FromSeconds(20)), (s.Cluster.Port, s.Cluster.StableAfter));
    }

    [Fact]
    public void The_cluster_variables_should_set_the_seeds_the_address_and_the_shared_database()
    {
        var s = Load(("MAIL_CLUSTER_SEEDS", "mail-1:4053, mail-2:4053,mail-3:4053"), ("MAIL_CLUSTER_HOSTNAME", "mail-2"),
            ("MAIL_CLUSTER_PORT", "4054"), ("MAIL_CLUSTER_STABLE_AFTER", "5s"),
            ("MAIL_DATABASE_URL", "postgresql://acaso:s3cret@db:5432/acaso_mail"));
        Assert.True(s.Cluster.Enabled);
        Assert.Equal(["mail-1:4053", "mail-2:4053", "mail-3:4053"], s.Cluster.Seeds);
        Assert.Equal(("mail-2", 4054, TimeSpan.FromSeconds(5)), (s.Cluster.Hostname, s.Cluster.Port, s.Cluster.StableAfter));
        Assert.Equal("db", s.Database.Postgres!.Host);
        // The database password is a secret too.
        Assert.DoesNotContain("s3cret", s.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", s.Database.Describe(s.StateDir), StringComparison.Ordinal);
        Assert.Contains("acaso:***@db", s.Database.Describe(s.StateDir), StringComparison.Ordinal);
    }

    [Fact]
    public void A_cluster_certificate_that_cannot_be_opened_should_stop_the_start_naming_it_never_the_password()
    {
        var missing = Assert.Throws<SettingsException>(() => Load(("MAIL_CLUSTER_TLS_CERT", "/nowhere/cluster.p12"), ("MAIL_CLUSTER_TLS_PASSWORD", "s3cret-pass")));
        Assert.Contains("MAIL_CLUSTER_TLS_CERT", missing.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pass", missing.Message, StringComparison.Ordinal);

        // A real PKCS#12 file, opened with the wrong password.
        using var key = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=acaso-mail", key,
            System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, certificate.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pkcs12, "right-pass"));
            var wrong = Assert.Throws<SettingsException>(() => Load(("MAIL_CLUSTER_TLS_CERT", path), ("MAIL_CLUSTER_TLS_PASSWORD", "wrong-pass")));
            Assert.Contains("MAIL_CLUSTER_TLS_PASSWORD", wrong.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("wrong-pass", wrong.Message, StringComparison.Ordinal);

            var settings = Load(("MAIL_CLUSTER_TLS_CERT", path), ("MAIL_CLUSTER_TLS_PASSWORD", "right-pass"));
            Assert.Equal(path, settings.Cluster.Tls!.CertificatePath);
            Assert.DoesNotContain("right-pass", settings.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("right-pass", settings.Cluster.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_node_of_a_cluster_that_runs_on_TLS_should_refuse_to_start_without_its_certificate()
    {
        // The secret was not mounted: the node must not dial its TLS peers in plain TCP (Akka.Remote would shut them down).
        var e = Assert.Throws<SettingsException>(() => Load(("MAIL_CLUSTER_TLS_REQUIRED", "true"),
            ("MAIL_CLUSTER_SEEDS", "mail-1:4053"), ("MAIL_DATABASE_URL", "postgresql://acaso:pw@db:5432/mail")));
        Assert.StartsWith("MAIL_CLUSTER_TLS_REQUIRED is on but MAIL_CLUSTER_TLS_CERT", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);

        // Off (the default), the same node starts on plain TCP, as before.
        Assert.Null(Load(("MAIL_CLUSTER_SEEDS", "mail-1:4053"), ("MAIL_DATABASE_URL", "postgresql://acaso:pw@db:5432/mail")).Cluster.Tls);
        Assert.Throws<SettingsException>(() => Load(("MAIL_CLUSTER_TLS_REQUIRED", "maybe")));
    }

    [Fact]
    public void Trusted_proxies_should_be_addresses_or_ranges_and_none_by_default()
    {
        Assert.Empty(Load().TrustedProxies);
        var proxies = Load(("MAIL_TRUSTED_PROXIES", "10.0.0.5, 10.1.0.0/16,fd00::/8")).TrustedProxies;
        Assert.Equal(["10.0.0.5/32", "10.1.0.0/16", "fd00::/8"], proxies.Select(p => p.ToString()));
        Assert.True(proxies[1].Contains(System.Net.IPAddress.Parse("10.1.200.3")));

        var e = Assert.Throws<SettingsException>(() => Load(("MAIL_TRUSTED_PROXIES", "10.0.0.5, proxy.internal")));
        Assert.StartsWith("MAIL_TRUSTED_PROXIES='10.0.0.5, proxy.internal' is not valid", e.Message, StringComparison.Ordinal);
    }

    private const string Database = "postgresql://acaso:pw@db:5432/mail";

    [Fact]
    public void Kubernetes_discovery_should_read_the_pods_api_server_and_service_account_or_refuse_saying_what_is_missing()
    {
        var account = Directory.CreateTempSubdirectory("acaso-serviceaccount-").FullName;
        try
        {
            (string, string)[] pod = [("MAIL_CLUSTER_DISCOVERY", "kubernetes"), ("MAIL_DATABASE_URL", Database), ("MAIL_KUBERNETES_SERVICE_ACCOUNT_DIR", account),
                ("KUBERNETES_SERVICE_HOST", "10.96.0.1"), ("KUBERNETES_SERVICE_PORT", "443"), ("MAIL_CLUSTER_HOSTNAME", "10.244.1.7")];
            // The folder is empty: a pod whose service account is not mounted.
            var e = Assert.Throws<SettingsException>(() => Load(pod));
            Assert.StartsWith($"MAIL_CLUSTER_DISCOVERY=kubernetes but {Path.Combine(account, "token")} does not exist", e.Message, StringComparison.Ordinal);

            foreach (var file in new[] { "token", "ca.crt", "namespace" })
            {
                File.WriteAllText(Path.Combine(account, file), file);
            }

            var cluster = Load(pod).Cluster;
            Assert.True(cluster.Enabled);
            Assert.Empty(cluster.Seeds);
            var kubernetes = Assert.IsType<ClusterDiscovery.Kubernetes>(cluster.Discovery);
            Assert.Equal(new Uri("https://10.96.0.1:443"), kubernetes.ApiServer);
            Assert.Equal("app=acaso-mail", kubernetes.PodSelector);
            Assert.Equal((8558, 3), (cluster.ManagementPort, cluster.RequiredContacts));

            // Outside a pod, without the API server's variables.
            e = Assert.Throws<SettingsException>(() => Load(pod.Where(v => !v.Item1.StartsWith("KUBERNETES_", StringComparison.Ordinal)).ToArray()));
            Assert.StartsWith("MAIL_CLUSTER_DISCOVERY=kubernetes but KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT", e.Message, StringComparison.Ordinal);
            // Bootstrap or seeds, never both; and the contact point needs a port of its own.
            e = Assert.Throws<SettingsException>(() => Load([.. pod, ("MAIL_CLUSTER_SEEDS", "mail-1:4053")]));
            Assert.StartsWith("MAIL_CLUSTER_DISCOVERY and MAIL_CLUSTER_SEEDS are both set", e.Message, StringComparison.Ordinal);
            e = Assert.Throws<SettingsException>(() => Load([.. pod, ("MAIL_MANAGEMENT_PORT", "5000")]));
            Assert.StartsWith("MAIL_MANAGEMENT_PORT and MAIL_METRICS_PORT are both 5000", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(account, recursive: true);
        }
    }

    [Fact]
    public void Config_discovery_should_take_the_contact_points_and_nothing_else()
    {
        var cluster = Load(("MAIL_CLUSTER_DISCOVERY", "config"), ("MAIL_CLUSTER_CONTACT_POINTS", "mail-1:8558, mail-2:8558,mail-3:8558"),
            ("MAIL_DATABASE_URL", Database), ("MAIL_CLUSTER_REQUIRED_CONTACTS", "2"), ("MAIL_LISTEN_ADDRESS", "127.0.0.2")) is var s ? s.Cluster : null!;
        Assert.Equal(["mail-1:8558", "mail-2:8558", "mail-3:8558"], Assert.IsType<ClusterDiscovery.Config>(cluster.Discovery).ContactPoints);
        Assert.Equal(2, cluster.RequiredContacts);
        Assert.Equal(System.Net.IPAddress.Parse("127.0.0.2"), s.ListenAddress);
        Assert.Null(Load().ListenAddress);

        var e = Assert.Throws<SettingsException>(() => Load(("MAIL_CLUSTER_DISCOVERY", "config"), ("MAIL_DATABASE_URL", Database)));
        Assert.StartsWith("MAIL_CLUSTER_DISCOVERY=config but MAIL_CLUSTER_CONTACT_POINTS is empty", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<SettingsException>(() => Load(("MAIL_CLUSTER_DISCOVERY", "dns")));
        Assert.StartsWith("MAIL_CLUSTER_DISCOVERY='dns' is not valid: it accepts kubernetes, config, or nothing", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<SettingsException>(() => Load(("MAIL_CLUSTER_DISCOVERY", "config"), ("MAIL_CLUSTER_CONTACT_POINTS", "mail-1:8558")));
        Assert.StartsWith("MAIL_CLUSTER_DISCOVERY is set but MAIL_DATABASE_URL", e.Message, StringComparison.Ordinal);
        Assert.Throws<SettingsException>(() => Load(("MAIL_LISTEN_ADDRESS", "pod.local")));
    }

    [Fact]
    public void A_cluster_on_SQLite_should_refuse_to_start_saying_why()
    {
        var e = Assert.Throws<SettingsException>(() => Load(("MAIL_CLUSTER_SEEDS", "mail-1:4053")));
        Assert.Contains("MAIL_CLUSTER_SEEDS", e.Message, StringComparison.Ordinal);
        Assert.Contains("MAIL_DATABASE_URL", e.Message, StringComparison.Ordinal);
        Assert.Contains("postgresql://", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_api_key_should_never_show_in_the_settings_printout()
    {
        var s = Load(("SENDINBLUE_API_KEY", "xkeysib-very-secret"));
        Assert.DoesNotContain("very-secret", s.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("very-secret", s.Brevo.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_broker_password_should_be_masked_for_logs()
    {
        var s = Load(("QUEUE_SERVICE_URL", "amqp://rabbitmq:hunter2@host:5672/vh"));
        Assert.DoesNotContain("hunter2", s.Queue.SafeUrl, StringComparison.Ordinal);
        Assert.Contains("rabbitmq:***@host", s.Queue.SafeUrl, StringComparison.Ordinal);
    }
}
