using System.Globalization;
using Acaso.Mail.Actors.Tests.Support;
using static Acaso.Mail.Actors.Tests.Support.ProcessAssertions;

namespace Acaso.Mail.Actors.Tests.Cluster;

/// <summary>
/// Three processes of the built service that find each other as docker-compose's do: Cluster Bootstrap with config
/// discovery (<c>MAIL_CLUSTER_CONTACT_POINTS</c>), no seed address. Here on one host, each with a management port of its own.
/// </summary>
[Collection(ThreeProcessCollection.Name)]
[Trait("Loop", "Full")]
public sealed class ConfigBootstrapSpecs() : SharedDatabaseNodeSpecs("xkeysib-config-bootstrap", "config-bootstrap", "config_bootstrap")
{
    private readonly Dictionary<Node, int> _management = [];

    private int ManagementPort(Node node) => _management.TryGetValue(node, out var port) ? port : _management[node] = ServiceProcess.FreePort();

    protected override void Configure(Node node, Dictionary<string, string> environment)
    {
        environment.Remove("MAIL_CLUSTER_SEEDS");
        environment["MAIL_CLUSTER_DISCOVERY"] = "config";
        environment["MAIL_CLUSTER_CONTACT_POINTS"] = string.Join(",", Nodes.Select(n => $"127.0.0.1:{ManagementPort(n)}"));
        environment["MAIL_MANAGEMENT_PORT"] = ManagementPort(node).ToString(CultureInfo.InvariantCulture);
        environment["MAIL_CLUSTER_REQUIRED_CONTACTS"] = "3";
    }

    [Fact]
    public async Task Three_nodes_listed_as_contact_points_should_form_one_cluster_and_send_through_one_keeper()
    {
        const int mails = 8;
        await PublishAsync(mails, i => (byte)(100 + i));
        foreach (var node in Nodes)
        {
            node.Process = ServiceProcess.Start(NodeEnvironment(node, "0/2 * * * * ?"));
        }

        await EveryNodeReadyWithAsync(Nodes, 3, "the three nodes to form one cluster and be ready");
        var keeper = await KeeperNodeAsync();
        await Eventually(async () => Brevo.Delivered.Count == mails && await MetricAsync(keeper, "mail_tokens_spent_today") == mails,
            TimeSpan.FromSeconds(60), "every mail, sent and counted");
        await EveryMailAckedAsync();
        AssertEachSentOnce(mails);

        // The contact point answers bootstrap's one question, and nothing else: metrics stay on their own port.
        using var http = new HttpClient();
        var seedNodes = await http.GetStringAsync(new Uri($"http://127.0.0.1:{ManagementPort(keeper)}/bootstrap/seed-nodes"));
        // As Akka.Management's own route writes it (Newtonsoft, its protocol's types): this node, and the three members.
        var answer = System.Text.Json.JsonDocument.Parse(seedNodes).RootElement;
        Assert.Equal(keeper.RemotePort, answer.GetProperty("SelfNode").GetProperty("Port").GetInt32());
        Assert.Equal(3, answer.GetProperty("Nodes").GetArrayLength());
        using var metrics = await http.GetAsync(new Uri($"http://127.0.0.1:{ManagementPort(keeper)}/metrics"));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, metrics.StatusCode);
    }
}
