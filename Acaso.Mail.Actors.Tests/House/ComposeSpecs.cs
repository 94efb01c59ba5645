using Acaso.Mail.Actors.Settings;
using Acaso.Mail.Actors.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace Acaso.Mail.Actors.Tests.House;

/// <summary>
/// docker-compose.yml cannot run here (no Docker engine): it is parsed, and what it refers to is checked — every
/// file it mounts exists, every variable it gives the service is one the service reads and docs/configuration.md documents.
/// </summary>
public sealed class ComposeSpecs
{
    private static YamlMappingNode Services()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Repository.PathOf("docker-compose.yml"))));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        return (YamlMappingNode)root[new YamlScalarNode("services")];
    }

    private static YamlMappingNode Service(string name) => (YamlMappingNode)Services()[new YamlScalarNode(name)];

    [Fact]
    public void Compose_should_run_the_broker_the_service_prometheus_alertmanager_and_grafana()
    {
        var names = Services().Children.Keys.Select(k => ((YamlScalarNode)k).Value).ToHashSet();
        Assert.Superset(new HashSet<string?> { "rabbitmq", "acaso-mail", "prometheus", "alertmanager", "grafana" }, names);
        Assert.Equal(".", ((YamlScalarNode)Service("acaso-mail")[new YamlScalarNode("build")]).Value);
    }

    /// <summary>A mapping with its YAML merge key (<c>&lt;&lt;: *anchor</c>) applied, as compose applies it.</summary>
    private static Dictionary<string, YamlNode> Merged(YamlMappingNode mapping)
    {
        var merged = new Dictionary<string, YamlNode>();
        if (mapping.Children.TryGetValue(new YamlScalarNode("<<"), out var inherited))
        {
            foreach (var (key, value) in Merged((YamlMappingNode)inherited))
            {
                merged[key] = value;
            }
        }

        foreach (var (key, value) in mapping.Children)
        {
            if (((YamlScalarNode)key).Value is { } name && name != "<<")
            {
                merged[name] = value;
            }
        }

        return merged;
    }

    private static Dictionary<string, string?> EnvironmentOf(string service) =>
        Merged((YamlMappingNode)Merged(Service(service))["environment"]).ToDictionary(kv => kv.Key, kv => ((YamlScalarNode)kv.Value).Value);

    [Fact]
    public void Compose_should_run_three_nodes_of_one_cluster_on_a_shared_PostgreSQL()
    {
        string[] nodes = ["acaso-mail", "acaso-mail-2", "acaso-mail-3"];
        var settings = nodes.Select(node =>
        {
            Assert.Equal(".", ((YamlScalarNode)Merged(Service(node))["build"]).Value);
            var environment = EnvironmentOf(node);
            environment["SENDINBLUE_API_KEY"] = "";
            // Every node presents the certificate the one-shot job makes in the volume it mounts (opened at start, so not here).
            Assert.Equal("/tls/cluster.p12", environment["MAIL_CLUSTER_TLS_CERT"]);
            Assert.Contains("cluster-tls:/tls:ro", ((YamlSequenceNode)Merged(Service(node))["volumes"]).Children.Select(v => v.ToString()));
            // And none starts without it (a secret not mounted): the others never meet a plain node.
            Assert.Equal("true", environment["MAIL_CLUSTER_TLS_REQUIRED"]);
            environment["MAIL_CLUSTER_TLS_CERT"] = "";
            environment["MAIL_CLUSTER_TLS_REQUIRED"] = "false";
            return SettingsLoader.Load(name => environment.GetValueOrDefault(name));
        }).ToList();
        Assert.Contains("/tls/cluster.p12", string.Join(' ', ((YamlSequenceNode)Service("cluster-tls")[new YamlScalarNode("command")]).Children), StringComparison.Ordinal);

        // No seeds: one list of contact points for Cluster Bootstrap, naming every node at the address and management port it
        // announces, and all three required before a cluster forms; one shared database.
        Assert.All(settings, s => Assert.Empty(s.Cluster.Seeds));
        var contacts = settings.Select(s => Assert.IsType<Acaso.Mail.Actors.Settings.ClusterDiscovery.Config>(s.Cluster.Discovery).ContactPoints).ToList();
        Assert.Single(contacts.Select(c => string.Join(",", c)).Distinct());
        Assert.Equal(nodes, settings.Select(s => s.Cluster.Hostname));
        Assert.All(settings, s => Assert.Contains($"{s.Cluster.Hostname}:{s.Cluster.ManagementPort}", contacts[0]));
        Assert.All(settings, s => Assert.Equal(nodes.Length, s.Cluster.RequiredContacts));
        Assert.All(settings, s => Assert.Equal("postgres", s.Database.Postgres?.Host));
        Assert.Equal("postgres:16", ((YamlScalarNode)Service("postgres")[new YamlScalarNode("image")]).Value);
        // Each node keeps its own state volume, and Prometheus scrapes each.
        Assert.Equal(3, nodes.Select(n => ((YamlSequenceNode)Merged(Service(n))["volumes"]).Children[0].ToString()).Distinct().Count());
        var prometheus = File.ReadAllText(Repository.PathOf("prometheus/prometheus.yml"));
        Assert.All(nodes, node => Assert.Contains($"'{node}:5000'", prometheus, StringComparison.Ordinal));
    }

    [Fact]
    public void Every_file_compose_mounts_should_exist()
    {
        var mounts = Services().Children.Values.Cast<YamlMappingNode>()
            .Where(s => s.Children.ContainsKey(new YamlScalarNode("volumes")))
            .SelectMany(s => ((YamlSequenceNode)s[new YamlScalarNode("volumes")]).Children.Cast<YamlScalarNode>())
            .Select(v => v.Value!.Split(':')[0])
            .Where(source => source.StartsWith("./", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(mounts);
        foreach (var source in mounts)
        {
            var path = Repository.PathOf(source[2..]);
            Assert.True(File.Exists(path) || Directory.Exists(path), $"docker-compose.yml mounts {source}, which does not exist");
        }

        Assert.True(File.Exists(Repository.PathOf("Dockerfile")));
    }

    [Fact]
    public void Every_variable_compose_sets_should_be_one_the_service_reads_and_the_configuration_docs_document()
    {
        var environment = (YamlMappingNode)Service("acaso-mail")[new YamlScalarNode("environment")];
        var readme = File.ReadAllText(Repository.PathOf("docs/configuration.md"));
        var variables = environment.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToList();
        Assert.Contains("SENDINBLUE_API_KEY", variables);
        foreach (var variable in variables)
        {
            Assert.True(SettingsLoader.EnvironmentVariables.ContainsKey(variable), $"compose sets {variable}, which the service does not read");
            Assert.Contains($"`{variable}`", readme, StringComparison.Ordinal);
        }

        // And the values it sets are ones the service accepts.
        var values = environment.Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value!);
        values["SENDINBLUE_API_KEY"] = "";
        values["MAIL_CLUSTER_TLS_CERT"] = "";
        values["MAIL_CLUSTER_TLS_REQUIRED"] = "false";
        var settings = SettingsLoader.Load(name => values.GetValueOrDefault(name));
        Assert.Equal("rabbitmq", settings.Queue.Url.Host);
        Assert.Equal("/data", settings.StateDir);
    }

    [Fact]
    public void The_broker_should_keep_its_data_and_shovel_mail_into_the_inbox_while_the_service_is_down()
    {
        var rabbitmq = Service("rabbitmq");
        Assert.Equal("rabbitmq", ((YamlScalarNode)rabbitmq[new YamlScalarNode("hostname")]).Value);
        Assert.Contains(((YamlSequenceNode)rabbitmq[new YamlScalarNode("volumes")]).Children.Cast<YamlScalarNode>(),
            v => v.Value == "rabbitmq-data:/var/lib/rabbitmq");
        Assert.Contains("rabbitmq_shovel", File.ReadAllText(Repository.PathOf("rabbitmq/enabled_plugins")), StringComparison.Ordinal);
        var shovel = (YamlScalarNode)((YamlSequenceNode)Service("rabbitmq-inbox-shovel")[new YamlScalarNode("command")]).Children[0];
        Assert.Contains("/api/queues/%2f/queue.inbox", shovel.Value, StringComparison.Ordinal);
        Assert.Contains("/api/parameters/shovel/%2f/acaso-inbox", shovel.Value, StringComparison.Ordinal);
        using var definition = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Repository.PathOf("rabbitmq/inbox-shovel.json")));
        var value = definition.RootElement.GetProperty("value");
        Assert.Equal("on-confirm", value.GetProperty("ack-mode").GetString());
        Assert.Equal("queue.inbox", value.GetProperty("dest-exchange-key").GetString());
        Assert.Equal(2, value.GetProperty("dest-publish-properties").GetProperty("delivery_mode").GetInt32());
    }

    [Fact]
    public void Every_variable_the_service_reads_should_be_documented_in_the_configuration_docs()
    {
        var readme = File.ReadAllText(Repository.PathOf("docs/configuration.md"));
        foreach (var variable in SettingsLoader.EnvironmentVariables.Keys)
        {
            Assert.Contains($"`{variable}`", readme, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_image_should_run_as_a_non_root_user_with_state_on_a_volume()
    {
        var dockerfile = File.ReadAllLines(Repository.PathOf("Dockerfile"));
        Assert.Contains(dockerfile, l => l.StartsWith("USER ", StringComparison.Ordinal) && !l.Contains("root", StringComparison.Ordinal));
        Assert.Contains(dockerfile, l => l.StartsWith("VOLUME /data", StringComparison.Ordinal));
        Assert.Equal(2, dockerfile.Count(l => l.StartsWith("FROM ", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_grafana_dashboard_should_show_what_operators_watch()
    {
        var dashboard = File.ReadAllText(Repository.PathOf("grafana/dashboards/acaso-mail.json"));
        foreach (var series in new[] { "mails_sent_total", "mails_fails_total", "mail_tokens_left_today", "mail_queue_depth", "mail_queue_head_priority", "mail_dead_letters_total", "mail_send_latency_seconds_bucket", "mail_delivery_events_total", "mail_suppressed_total" })
        {
            Assert.Contains(series, dashboard, StringComparison.Ordinal);
        }
    }
}
