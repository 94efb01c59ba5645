using System.Globalization;
using Acaso.Mail.Actors.Tests.Support;
using static Acaso.Mail.Actors.Tests.Support.ProcessAssertions;

namespace Acaso.Mail.Actors.Tests.Cluster;

/// <summary>
/// Three processes of the built service on loopback, one cluster (seeds, <c>MAIL_CLUSTER_STABLE_AFTER=5s</c>), one
/// real queue and one PostgreSQL database: windows granted once for the cluster, a <c>kill -9</c> of the keeper's
/// node, a rolling restart. Nothing lost, nothing sent twice, the day never overspent.
/// </summary>
public sealed class ClusterProcessSpecs() : ProcessSpecs("xkeysib-cluster", "cluster-process")
{
    private const int PerWindow = 5;

    private readonly Node[] _nodes = [new(), new(), new()];
    private TestDatabase _database = null!;

    /// <summary>One node's own ports and state folder; its process, while it runs.</summary>
    private sealed class Node
    {
        public int RemotePort { get; } = ServiceProcess.FreePort();

        public int MetricsPort { get; } = ServiceProcess.FreePort();

        public string StateDir { get; } = Directory.CreateTempSubdirectory("acaso-node-").FullName;

        public ServiceProcess? Process { get; set; }
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _database = await TestDatabase.CreateAsync("cluster_process");
    }

    public override async Task DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            if (node.Process is not null)
            {
                await node.Process.DisposeAsync();
            }

            Directory.Delete(node.StateDir, recursive: true);
        }

        await _database.DisposeAsync();
        await base.DisposeAsync();
    }

    private Dictionary<string, string> NodeEnvironment(Node node, string cron)
    {
        var environment = Environment(perHour: PerWindow, hourlyCron: cron);
        environment["MAIL_METRICS_PORT"] = node.MetricsPort.ToString(CultureInfo.InvariantCulture);
        environment["MAIL_STATE_DIR"] = node.StateDir;
        environment["MAIL_DATABASE_URL"] = _database.Url.ToString();
        // Every node is a seed, as in docker-compose.yml: a restarted first seed joins the others instead of forming a cluster of its own.
        environment["MAIL_CLUSTER_SEEDS"] = string.Join(",", _nodes.Select(n => $"127.0.0.1:{n.RemotePort}"));
        environment["MAIL_CLUSTER_HOSTNAME"] = "127.0.0.1";
        environment["MAIL_CLUSTER_PORT"] = node.RemotePort.ToString(CultureInfo.InvariantCulture);
        environment["MAIL_CLUSTER_STABLE_AFTER"] = "5s";
        return environment;
    }

    private static async Task<string> GetAsync(Node node, string path)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            // /readyz answers 503 with its reasons: the body matters whatever the status.
            using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{node.MetricsPort}{path}"));
            return await response.Content.ReadAsStringAsync();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return "";
        }
    }

    private static async Task<double> MetricAsync(Node node, string series) =>
        await GetAsync(node, "/metrics") is { Length: > 0 } text ? Sample(text, series) : -1;

    private static async Task<bool> ReadyAsync(Node node) => await GetAsync(node, "/readyz") == "ready";

    private async Task StartAsync(Node node, string cron)
    {
        node.Process = ServiceProcess.Start(NodeEnvironment(node, cron));
        await Eventually(() => ReadyAsync(node), TimeSpan.FromSeconds(60), "the node to join and be ready", node.Process);
    }

    private async Task StartClusterAsync(string cron)
    {
        foreach (var node in _nodes)
        {
            await StartAsync(node, cron);
        }

        await Eventually(async () => (await Task.WhenAll(_nodes.Select(n => MetricAsync(n, "mail_cluster_members")))).All(m => m == 3),
            TimeSpan.FromSeconds(30), "every node to see three members");
    }

    private async Task<Node> KeeperNodeAsync()
    {
        Node? keeper = null;
        await Eventually(async () =>
        {
            var here = await Task.WhenAll(_nodes.Where(n => n.Process is { HasExited: false }).Select(async n => (n, await MetricAsync(n, "mail_budget_keeper_here"))));
            keeper = here.Where(h => h.Item2 == 1).Select(h => h.n).SingleOrDefault();
            return keeper is not null;
        }, TimeSpan.FromSeconds(60), "one node to hold the keeper");
        return keeper!;
    }

    private async Task PublishAsync(int count, Func<int, byte> priority)
    {
        for (var i = 0; i < count; i++)
        {
            await Publisher.PublishAsync(Mails.Body(i, DateTimeOffset.UtcNow.AddDays(2)), priority(i));
        }
    }

    private void AssertEachSentOnce(int count)
    {
        var keys = Brevo.Delivered.Select(m => m.IdempotencyKey).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        Assert.Equal(Enumerable.Range(0, count), Brevo.Delivered.Select(Mails.IndexOf).Order());
    }

    [Fact]
    public async Task Three_nodes_should_send_a_window_of_five_once_on_the_five_most_urgent()
    {
        var random = new Random(11);
        var priorities = Enumerable.Range(0, 30).Select(_ => (byte)random.Next(1, 199)).ToArray();
        await PublishAsync(30, i => priorities[i]);
        // One window every 20 s: long enough to count what one window sent.
        await StartClusterAsync("0/20 * * * * ?");
        await Eventually(() => Task.FromResult(Brevo.Delivered.Count >= PerWindow), TimeSpan.FromSeconds(40), "the first window");
        await Task.Delay(TimeSpan.FromSeconds(2));

        Assert.Equal(PerWindow, Brevo.Delivered.Count);
        Assert.Equal(priorities.OrderDescending().Take(PerWindow), Brevo.Delivered.Select(m => priorities[Mails.IndexOf(m)]).OrderDescending());
        var keeper = await KeeperNodeAsync();
        Assert.Equal(PerWindow, await MetricAsync(keeper, "mail_tokens_spent_today"));
    }

    [Fact]
    public async Task A_node_that_cannot_reach_its_seeds_should_not_be_ready_and_should_say_why()
    {
        var node = _nodes[0];
        var environment = NodeEnvironment(node, "0 0 * * * ?");
        // Nobody listens at the only seed, and it is not this node: it cannot join, nor form a cluster of its own.
        environment["MAIL_CLUSTER_SEEDS"] = $"127.0.0.1:{ServiceProcess.FreePort()}";
        node.Process = ServiceProcess.Start(environment);
        await Eventually(async () => (await GetAsync(node, "/readyz")).Contains("cluster not joined", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60), "/readyz to say the node has not joined", node.Process);
        Assert.Equal(0, await MetricAsync(node, "mail_cluster_members"));
        // run says the node's role on its first line.
        Assert.Contains("Role: cluster node 127.0.0.1:", node.Process.Output.Split('\n')[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_kill_9_of_the_keepers_node_mid_window_should_resume_sending_lose_nothing_and_send_nothing_twice()
    {
        const int mails = 40;
        await PublishAsync(mails, i => (byte)(100 + i));
        Brevo.Latency = TimeSpan.FromMilliseconds(300);
        await StartClusterAsync("0/3 * * * * ?");
        await Eventually(() => Task.FromResult(Brevo.Delivered.Count >= 8), TimeSpan.FromSeconds(60), "the first sends");

        var keeper = await KeeperNodeAsync();
        keeper.Process!.KillHard();
        var killedAt = DateTimeOffset.UtcNow;
        Assert.True(await keeper.Process.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        // Sends already under way on the survivors may still end; a send that starts after the kill needs the new keeper.
        await Eventually(() => Task.FromResult(Brevo.Delivered.Any(m => m.At > killedAt.AddSeconds(1))), TimeSpan.FromSeconds(40),
            "a send after the kill");
        var pause = Brevo.Delivered.Where(m => m.At > killedAt.AddSeconds(1)).Min(m => m.At) - killedAt;
        // Detection (5 s of heartbeats), stable-after (5 s), removal and the singleton's start: well inside the 40 s promised.
        Assert.InRange(pause, TimeSpan.Zero, TimeSpan.FromSeconds(40));

        var survivors = _nodes.Where(n => n != keeper).ToList();
        await Eventually(async () => Brevo.Delivered.Count == mails && await RabbitBroker.ReadyAsync(Queue.Inbox) == 0,
            TimeSpan.FromSeconds(90), "every mail");
        await Task.Delay(TimeSpan.FromSeconds(3));
        AssertEachSentOnce(mails);
        Assert.Empty(await RabbitBroker.DrainAsync(Queue.DeadLetterQueue));
        // The day counted at least what Brevo charged, and at most the tokens the dead node held besides. Those stay in
        // flight until a window closes 30 s after the take-over (windows close every 3 s here), then count as spent.
        var newKeeper = await KeeperNodeAsync();
        Assert.Contains(newKeeper, survivors);
        await Eventually(async () => await MetricAsync(newKeeper, "mail_tokens_spent_today") >= mails, TimeSpan.FromSeconds(45),
            "the dead node's tokens to be written off as spent");
        Assert.InRange(await MetricAsync(newKeeper, "mail_tokens_spent_today"), mails, mails + PerWindow);
    }

    [Fact]
    public async Task A_rolling_restart_with_mail_flowing_should_lose_nothing_send_nothing_twice_and_count_exactly()
    {
        const int mails = 45;
        await PublishAsync(mails, i => (byte)(100 + i));
        Brevo.Latency = TimeSpan.FromMilliseconds(200);
        const string cron = "0/2 * * * * ?";
        await StartClusterAsync(cron);
        foreach (var node in _nodes)
        {
            // SIGTERM: the node drains its sends, leaves the cluster, and the keeper (if here) moves; then it comes back.
            node.Process!.Terminate();
            Assert.True(await node.Process.WaitForExitAsync(TimeSpan.FromSeconds(60)), node.Process.Output);
            await node.Process.DisposeAsync();
            await StartAsync(node, cron);
        }

        await Eventually(async () => Brevo.Delivered.Count == mails && await RabbitBroker.ReadyAsync(Queue.Inbox) == 0,
            TimeSpan.FromSeconds(120), "every mail");
        await Task.Delay(TimeSpan.FromSeconds(3));
        AssertEachSentOnce(mails);
        var keeper = await KeeperNodeAsync();
        Assert.Equal(mails, await MetricAsync(keeper, "mail_tokens_spent_today"));
    }
}
