using System.Diagnostics;
using System.Globalization;
using Acaso.Mail.Actors.Tests.Support;
using Xunit.Abstractions;
using static Acaso.Mail.Actors.Tests.Support.ProcessAssertions;

namespace Acaso.Mail.Actors.Tests.Cluster;

/// <summary>
/// Three processes of the built service as three pods: each on its own loopback address (127.0.0.2, .3, .4) with the
/// same cluster, management and metrics ports, as pods have, and no seed address. They find each other by Cluster
/// Bootstrap through a Kubernetes API stand-in (<see cref="KubernetesApiStandIn"/>), form one cluster, send through one
/// keeper; a fourth pod joins; a pod killed with <c>kill -9</c> and dropped from the list is downed.
/// </summary>
[Collection(ThreeProcessCollection.Name)]
[Trait("Loop", "Full")]
public sealed class KubernetesBootstrapSpecs : SharedDatabaseNodeSpecs
{
    private const string Cron = "0/2 * * * * ?";
    private readonly ITestOutputHelper _output;
    private readonly int _managementPort = ServiceProcess.FreePort();
    private readonly int _remotePort = ServiceProcess.FreePort();
    private readonly int _metricsPort = ServiceProcess.FreePort();
    private KubernetesApiStandIn _api = null!;

    public KubernetesBootstrapSpecs(ITestOutputHelper output) : base("xkeysib-kubernetes", "kubernetes-bootstrap", "kubernetes_bootstrap")
    {
        _output = output;
        foreach (var node in Nodes)
        {
            Directory.Delete(node.StateDir, recursive: true);
        }

        Nodes.Clear();
        Nodes.AddRange(Enumerable.Range(2, 3).Select(Pod));
    }

    private Node Pod(int host) => new($"127.0.0.{host}", _remotePort, _metricsPort);

    private static string Name(Node pod) => "acaso-mail-" + pod.Address.Split('.')[^1];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _api = await KubernetesApiStandIn.StartAsync();
        // Neither of these is a contact point: another app's pod, and one of ours not yet running (no IP).
        _api.Add(KubernetesApiStandIn.Pod("other-app", "127.0.0.9", _managementPort, _remotePort, app: "other"));
        _api.Add(KubernetesApiStandIn.Pod("acaso-mail-pending", "127.0.0.8", _managementPort, _remotePort, phase: "Pending"));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _api.DisposeAsync();
    }

    protected override void Configure(Node node, Dictionary<string, string> environment)
    {
        environment.Remove("MAIL_CLUSTER_SEEDS");
        environment["MAIL_CLUSTER_DISCOVERY"] = "kubernetes";
        environment["MAIL_KUBERNETES_SERVICE_ACCOUNT_DIR"] = _api.ServiceAccountDir;
        environment["KUBERNETES_SERVICE_HOST"] = "127.0.0.1";
        environment["KUBERNETES_SERVICE_PORT"] = _api.Port.ToString(CultureInfo.InvariantCulture);
        environment["MAIL_CLUSTER_HOSTNAME"] = node.Address;
        environment["MAIL_LISTEN_ADDRESS"] = node.Address;
        environment["MAIL_MANAGEMENT_PORT"] = _managementPort.ToString(CultureInfo.InvariantCulture);
        environment["MAIL_CLUSTER_REQUIRED_CONTACTS"] = "3";
    }

    /// <summary>Lists the pod in the stand-in and starts its process (as the kubelet would, in either order).</summary>
    private void Schedule(Node pod)
    {
        _api.Add(KubernetesApiStandIn.Pod(Name(pod), pod.Address, _managementPort, _remotePort));
        pod.Process = ServiceProcess.Start(NodeEnvironment(pod, Cron));
    }

    [Fact]
    public async Task Three_pods_should_form_one_cluster_by_bootstrap_send_through_one_keeper_take_a_fourth_and_down_a_killed_one()
    {
        const int first = 10;
        await PublishAsync(first, i => (byte)(100 + i));
        var clock = Stopwatch.StartNew();
        foreach (var pod in Nodes)
        {
            Schedule(pod);
        }

        await EveryNodeReadyWithAsync(Nodes, 3, "the three pods to form one cluster and be ready");
        var formed = clock.Elapsed;
        Assert.All(Nodes, pod => Assert.Contains("joining through Cluster Bootstrap: pods app=acaso-mail", pod.Process!.Output.Split('\n')[0], StringComparison.Ordinal));
        // Every pod asked the API with the service account's token, for its own namespace and the service's label only.
        Assert.NotEmpty(_api.Requests);
        Assert.All(_api.Requests, r => Assert.True(r.Authorized, r.PathAndQuery));
        Assert.All(_api.Requests, r => Assert.StartsWith($"/api/v1/namespaces/{KubernetesApiStandIn.Namespace}/pods?labelSelector=app%3Dacaso-mail", r.PathAndQuery, StringComparison.Ordinal));

        // Mail flows through one keeper.
        var keeper = await KeeperNodeAsync();
        await Eventually(async () => Brevo.Delivered.Count == first && await MetricAsync(keeper, "mail_tokens_spent_today") == first,
            TimeSpan.FromSeconds(60), "the first mails, sent and counted");

        // A fourth pod, listed and started, joins the cluster the others formed.
        clock.Restart();
        var fourth = Pod(5);
        Nodes.Add(fourth);
        Schedule(fourth);
        await EveryNodeReadyWithAsync(Nodes, 4, "the fourth pod to join");
        var joined = clock.Elapsed;
        Assert.Equal(1, (await Task.WhenAll(Nodes.Select(p => MetricAsync(p, "mail_budget_keeper_here")))).Sum());

        // The keeper's pod is killed and dropped from the list: the others down it, the keeper moves, the count holds.
        keeper = await KeeperNodeAsync();
        clock.Restart();
        keeper.Process!.KillHard();
        _api.Remove(Name(keeper));
        Assert.True(await keeper.Process.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        var survivors = Nodes.Where(p => p != keeper).ToList();
        await EveryNodeReadyWithAsync(survivors, 3, "the killed pod to be unreachable to every survivor");
        var unreachable = clock.Elapsed;
        // The keeper moves only once the killed pod is downed and removed.
        var newKeeper = await KeeperNodeAsync();
        var downed = clock.Elapsed;
        Assert.Contains(newKeeper, survivors);

        const int second = 10;
        for (var i = first; i < first + second; i++)
        {
            await Publisher.PublishAsync(Mails.Body(i, DateTimeOffset.UtcNow.AddDays(2)), (byte)(100 + i));
        }

        await Eventually(async () => Brevo.Delivered.Count == first + second && await MetricAsync(newKeeper, "mail_tokens_spent_today") == first + second,
            TimeSpan.FromSeconds(90), "every mail, sent once and counted once", newKeeper.Process);
        await EveryMailAckedAsync();
        AssertEachSentOnce(first + second);
        Assert.Equal(first + second, await MetricAsync(newKeeper, "mail_tokens_spent_today"));

        _output.WriteLine(FormattableString.Invariant(
            $"bootstrap timings: formed {formed.TotalSeconds:F1} s after the three starts; fourth joined {joined.TotalSeconds:F1} s after its start; killed pod unreachable {unreachable.TotalSeconds:F1} s and downed (the keeper moved) {downed.TotalSeconds:F1} s after kill -9"));
    }
}
