using System.Globalization;
using static Acaso.Mail.Actors.Tests.Support.ProcessAssertions;

namespace Acaso.Mail.Actors.Tests.Support;

/// <summary>
/// Three processes of the built service on loopback, one cluster (every node a seed, <c>MAIL_CLUSTER_STABLE_AFTER=5s</c>),
/// one real queue and one PostgreSQL database (<see cref="DatabaseUrl"/>, made by the spec): the helpers the cluster's
/// process specs share to start nodes, read their metrics and <c>/readyz</c>, and judge what Brevo saw.
/// </summary>
public abstract class ThreeNodeSpecs(string apiKey, string queuePrefix) : ProcessSpecs(apiKey, queuePrefix)
{
    /// <summary>Tokens each hourly window grants.</summary>
    protected virtual int PerWindow => 5;

    /// <summary>The nodes: three, unless a spec adds one.</summary>
    protected List<Node> Nodes { get; } = [new(), new(), new()];

    /// <summary>The nodes whose process runs.</summary>
    protected IEnumerable<Node> Running => Nodes.Where(n => n.Process is { HasExited: false });

    /// <summary>The shared database the nodes use.</summary>
    protected abstract Uri DatabaseUrl { get; }

    /// <summary>
    /// One node's address, ports and state folder; its process, while it runs. On 127.0.0.1 each node has ports of
    /// its own; as a pod, it has an address of its own (127.0.0.2, .3 …) and the same ports as the others.
    /// </summary>
    protected sealed class Node(string address = "127.0.0.1", int? remotePort = null, int? metricsPort = null)
    {
        public string Address { get; } = address;

        public int RemotePort { get; } = remotePort ?? ServiceProcess.FreePort();

        public int MetricsPort { get; } = metricsPort ?? ServiceProcess.FreePort();

        public string StateDir { get; } = Directory.CreateTempSubdirectory("acaso-node-").FullName;

        public ServiceProcess? Process { get; set; }
    }

    public override async Task DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            if (node.Process is not null)
            {
                await node.Process.DisposeAsync();
            }

            Directory.Delete(node.StateDir, recursive: true);
        }

        await base.DisposeAsync();
    }

    protected Dictionary<string, string> NodeEnvironment(Node node, string cron, int dailyLimit = 300)
    {
        var environment = Environment(perHour: PerWindow, dailyLimit: dailyLimit, hourlyCron: cron);
        environment["MAIL_METRICS_PORT"] = node.MetricsPort.ToString(CultureInfo.InvariantCulture);
        environment["MAIL_STATE_DIR"] = node.StateDir;
        environment["MAIL_DATABASE_URL"] = DatabaseUrl.ToString();
        // Every node is a seed, as in docker-compose.yml: a restarted first seed joins the others instead of forming a cluster of its own.
        environment["MAIL_CLUSTER_SEEDS"] = string.Join(",", Nodes.Select(n => $"127.0.0.1:{n.RemotePort}"));
        environment["MAIL_CLUSTER_HOSTNAME"] = "127.0.0.1";
        environment["MAIL_CLUSTER_PORT"] = node.RemotePort.ToString(CultureInfo.InvariantCulture);
        environment["MAIL_CLUSTER_STABLE_AFTER"] = "5s";
        Configure(node, environment);
        return environment;
    }

    /// <summary>What a spec adds to a node's environment.</summary>
    protected virtual void Configure(Node node, Dictionary<string, string> environment)
    {
    }

    protected static async Task<string> GetAsync(Node node, string path)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            // /readyz answers 503 with its reasons: the body matters whatever the status.
            using var response = await http.GetAsync(new Uri($"http://{node.Address}:{node.MetricsPort}{path}"));
            return await response.Content.ReadAsStringAsync();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return "";
        }
    }

    protected static async Task<double> MetricAsync(Node node, string series) =>
        await GetAsync(node, "/metrics") is { Length: > 0 } text ? Sample(text, series) : -1;

    protected static async Task<bool> ReadyAsync(Node node) => await GetAsync(node, "/readyz") == "ready";

    /// <summary>Starts the node (on the build beside the specs, or on <paramref name="dll"/>) and waits until it is ready.</summary>
    protected async Task StartAsync(Node node, string cron, int dailyLimit = 300, string? dll = null)
    {
        node.Process = dll is null
            ? ServiceProcess.Start(NodeEnvironment(node, cron, dailyLimit))
            : ServiceProcess.StartBuild(dll, NodeEnvironment(node, cron, dailyLimit));
        await Eventually(() => ReadyAsync(node), TimeSpan.FromSeconds(60), "the node to join and be ready", node.Process);
    }

    /// <summary>
    /// Stops the node as <c>docker stop</c> does (SIGTERM: it drains its sends and leaves the cluster), then starts it
    /// again (on <paramref name="dll"/> when given) and waits until it is ready. Returns what the stopped process printed.
    /// </summary>
    protected async Task<string> RestartAsync(Node node, string cron, string? dll = null)
    {
        node.Process!.Terminate();
        Assert.True(await node.Process.WaitForExitAsync(TimeSpan.FromSeconds(60)), node.Process.Output);
        var output = node.Process.Output;
        await node.Process.DisposeAsync();
        await StartAsync(node, cron, dll: dll);
        return output;
    }

    protected async Task StartClusterAsync(string cron, int dailyLimit = 300, string? dll = null)
    {
        foreach (var node in Nodes)
        {
            await StartAsync(node, cron, dailyLimit, dll);
        }

        await Eventually(async () => (await Task.WhenAll(Nodes.Select(n => MetricAsync(n, "mail_cluster_members")))).All(m => m == Nodes.Count),
            TimeSpan.FromSeconds(30), "every node to see every member");
    }

    /// <summary>Waits until each of <paramref name="nodes"/> is ready and sees <paramref name="members"/> members (up to 90 s).</summary>
    protected static Task EveryNodeReadyWithAsync(IReadOnlyCollection<Node> nodes, int members, string what) =>
        Eventually(async () => (await Task.WhenAll(nodes.Select(async n => await ReadyAsync(n) && await MetricAsync(n, "mail_cluster_members") == members))).All(ok => ok),
            TimeSpan.FromSeconds(90), what, nodes.First().Process);

    protected async Task<Node> KeeperNodeAsync()
    {
        Node? keeper = null;
        await Eventually(async () =>
        {
            var here = await Task.WhenAll(Running.Select(async n => (n, await MetricAsync(n, "mail_budget_keeper_here"))));
            keeper = here.Where(h => h.Item2 == 1).Select(h => h.n).SingleOrDefault();
            return keeper is not null;
        }, TimeSpan.FromSeconds(60), "one node to hold the keeper");
        return keeper!;
    }

    protected async Task PublishAsync(int count, Func<int, byte> priority)
    {
        for (var i = 0; i < count; i++)
        {
            await Publisher.PublishAsync(Mails.Body(i, DateTimeOffset.UtcNow.AddDays(2)), priority(i));
        }
    }

    /// <summary>Every mail Brevo accepted was a different one, and they are mails 0 to <paramref name="count"/> - 1.</summary>
    protected void AssertEachSentOnce(int count)
    {
        var keys = Brevo.Delivered.Select(m => m.IdempotencyKey).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        Assert.Equal(Enumerable.Range(0, count), Brevo.Delivered.Select(Mails.IndexOf).Order());
    }
}

/// <summary>Three nodes on a database of their own on the shared PostgreSQL server (made for the spec class, dropped after).</summary>
public abstract class SharedDatabaseNodeSpecs(string apiKey, string queuePrefix, string databasePrefix) : ThreeNodeSpecs(apiKey, queuePrefix)
{
    /// <summary>The nodes' database.</summary>
    protected TestDatabase Database { get; private set; } = null!;

    protected override Uri DatabaseUrl => Database.Url;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Database = await TestDatabase.CreateAsync(databasePrefix);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Database.DisposeAsync();
    }
}

/// <summary>Three nodes on a PostgreSQL server of their own (<see cref="Postgres"/>), which the spec may stop and restart.</summary>
public abstract class PrivateDatabaseNodeSpecs(string apiKey, string queuePrefix) : ThreeNodeSpecs(apiKey, queuePrefix)
{
    /// <summary>The nodes' database server.</summary>
    protected PrivatePostgres Postgres { get; private set; } = null!;

    protected override Uri DatabaseUrl => Postgres.Url;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Postgres = await PrivatePostgres.StartAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Postgres.DisposeAsync();
    }
}
