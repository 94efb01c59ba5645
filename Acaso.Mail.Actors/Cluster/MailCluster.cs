using System.Globalization;
using Acaso.Mail.Actors.Settings;
using Acaso.Mail.Actors.Cluster.Bootstrap;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Akka.Remote.Transport.DotNetty;

namespace Acaso.Mail.Actors.Cluster;

/// <summary>
/// Akka.Cluster for the service's nodes: remoting on <c>MAIL_CLUSTER_PORT</c>, the seeds of <c>MAIL_CLUSTER_SEEDS</c>
/// or Cluster Bootstrap (<c>MAIL_CLUSTER_DISCOVERY</c>, <see cref="ClusterBootstrapHosting"/>), and the split-brain resolver's keep-majority strategy after <c>MAIL_CLUSTER_STABLE_AFTER</c>; mutual TLS with the
/// certificate of <c>MAIL_CLUSTER_TLS_CERT</c> when it is set. Every node's actor
/// system is named <see cref="SystemName"/>, so their addresses match the seeds.
/// </summary>
public static class MailClusterHostingExtensions
{
    /// <summary>The actor system's name on every node.</summary>
    public const string SystemName = "acaso-mail";

    /// <summary>
    /// Joins the cluster <paramref name="cluster"/> describes (nothing when it names neither seeds nor discovery);
    /// its listeners bind <paramref name="listen"/> (null: every address).
    /// </summary>
    public static AkkaConfigurationBuilder AddMailCluster(this AkkaConfigurationBuilder builder, ClusterSettings cluster, System.Net.IPAddress? listen = null)
    {
        if (!cluster.Enabled)
        {
            return builder;
        }

        var stableAfter = ((long)cluster.StableAfter.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        var remote = new RemoteOptions { HostName = listen?.ToString() ?? "0.0.0.0", PublicHostName = cluster.Hostname, Port = cluster.Port };
        if (cluster.Tls is { } tls)
        {
            // Mutual TLS with one certificate for the whole cluster, pinned: a peer must present this very certificate
            // (its chain is self-signed, so pinning is the check; a node without it, or with another, is refused).
            var certificate = tls.Load();
            remote.EnableSsl = true;
            remote.Ssl = new SslOptions
            {
                X509Certificate = certificate,
                SuppressValidation = false,
                RequireMutualAuthentication = true,
                ValidateCertificateHostname = false,
                CustomValidator = CertificateValidation.PinnedCertificate(certificate.Thumbprint),
            };
        }

        var scheme = cluster.Tls is null ? "akka.tcp" : "akka.ssl.tcp";
        builder.AddMailClusterBootstrap(cluster);
        return builder
            .WithRemoting(remote)
            .WithClustering(new ClusterOptions
            {
                SeedNodes = cluster.Seeds.Select(seed => $"{scheme}://{SystemName}@{seed}").ToArray(),
                SplitBrainResolver = new KeepMajorityOption(),
            })
            // Down-removal follows stable-after; a downed node's singleton moves once it is removed.
            .AddHocon($"akka.cluster.split-brain-resolver.stable-after = {stableAfter}ms", HoconAddMode.Prepend);
    }

    /// <summary>
    /// Starts the <see cref="ClusterStatusActor"/> (after the Metrics actor, so its first report is counted) when the
    /// node is clustered: the keeper's node may be unreachable for stable-after plus a hand-over before the node
    /// reports not ready.
    /// </summary>
    public static AkkaConfigurationBuilder AddClusterStatusActor(this AkkaConfigurationBuilder builder, ClusterSettings cluster) =>
        !cluster.Enabled
            ? builder
            : builder.WithActors((system, registry) =>
                registry.Register<ClusterStatusActor>(system.ActorOf(ClusterStatusActor.Props(cluster.StableAfter + HandOver), "cluster-status")));

    /// <summary>On a cluster node, Akka.Hosting's own check that the node has joined, among <c>/readyz</c>'s.</summary>
    public static AkkaConfigurationBuilder WithReadinessOfCluster(this AkkaConfigurationBuilder builder, ClusterSettings cluster) =>
        !cluster.Enabled ? builder : builder.WithAkkaClusterReadinessCheck(tags: [Hosting.Readiness.Tag, Hosting.Readiness.ClusterTag]);

    /// <summary>What a hand-over of the keeper may take once the old node is downed: removal, the singleton's start, recovery.</summary>
    public static readonly TimeSpan HandOver = TimeSpan.FromSeconds(20);
}
