using System.Collections.Immutable;
using Acaso.Mail.Actors.Settings;
using Akka.Actor;
using MemberStatus = Akka.Cluster.MemberStatus;
using ClusterSettings = Acaso.Mail.Actors.Settings.ClusterSettings;
using Akka.Discovery.Config.Hosting;
using Akka.Hosting;
using Akka.Management.Cluster.Bootstrap;
using Akka.Management.Cluster.Bootstrap.ContactPoint;
using Akka.Management.Dsl;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Newtonsoft.Json;

namespace Acaso.Mail.Actors.Cluster.Bootstrap;

/// <summary>
/// Akka.Management's Cluster Bootstrap for <see cref="ClusterSettings.Discovery"/>: it discovers the nodes' contact
/// points, asks each for the cluster it is in, and then forms a new cluster (once
/// <see cref="ClusterSettings.RequiredContacts"/> see each other, the lowest address joining itself first) or joins the
/// one they are in. Its contact-point route is served by Kestrel on <see cref="ClusterSettings.ManagementPort"/>.
/// </summary>
/// <remarks>
/// Akka.Management's own HTTP server cannot start on the packages served here: Akka.Http.Shim 1.5.73 calls a
/// <c>Ceen.Httpd.HttpServer.ListenAsync(IPEndPoint, …)</c> that Ceen.Httpd 0.9.10 (the only version served) replaced
/// with <c>ListenAsync(EndPoint, …)</c>, so it fails with <c>MissingMethodException</c>. Bootstrap supports its route
/// being bound elsewhere: it is told its own contact point, and the route answers what Akka.Management's would.
/// </remarks>
public static class ClusterBootstrapHosting
{
    /// <summary>The name of the container port of the contact point, in a pod's spec (<c>deploy/kubernetes</c>).</summary>
    public const string ManagementPortName = "management";

    /// <summary>The contact point's one route, as Akka.Management names it.</summary>
    public const string SeedNodesPath = "/bootstrap/seed-nodes";

    /// <summary>As many members as Akka.Management's route shows (its <c>MaxSeedNodesToExpose</c>).</summary>
    private const int SeedNodesShown = 5;

    /// <summary>This node's contact point, which the others discover: the cluster hostname at the management port.</summary>
    public static Uri SelfContactPoint(ClusterSettings cluster) => new UriBuilder("http", cluster.Hostname, cluster.ManagementPort).Uri;

    /// <summary>Bootstrap and its discovery, when <paramref name="cluster"/> names a discovery; started once the actor system is.</summary>
    public static AkkaConfigurationBuilder AddMailClusterBootstrap(this AkkaConfigurationBuilder builder, ClusterSettings cluster)
    {
        if (cluster.Discovery is not { } discovery)
        {
            return builder;
        }

        builder
            .WithClusterBootstrap(options =>
            {
                options.NewClusterEnabled = cluster.NewClusterEnabled;
                options.ContactPointDiscovery.ServiceName = MailClusterHostingExtensions.SystemName;
                options.ContactPointDiscovery.RequiredContactPointsNr = cluster.RequiredContacts;
                options.ContactPointDiscovery.ContactWithAllContactPoints = true;
                // A pod's contact point is its port of that name in the pod's spec; a static contact point names its own port.
                options.ContactPointDiscovery.PortName = discovery is ClusterDiscovery.Kubernetes ? ManagementPortName : null;
                // Every static contact point is a management port, whichever port each node uses (three on one host differ).
                options.ContactPoint.FallbackPort = cluster.ManagementPort;
                options.ContactPoint.FilterOnFallbackPort = false;
            }, autoStart: false)
            // The join timeout: a node that bootstrap pointed at a cluster it then cannot join within this time stops (its
            // orchestrator starts it again, and bootstrap looks again) rather than wait unready for ever.
            .AddHocon("akka.cluster.shutdown-after-unsuccessful-join-seed-nodes = 60s", HoconAddMode.Prepend)
            .AddStartup(async (system, registry) =>
            {
                var bootstrap = ClusterBootstrap.Get(system);
                // Tells bootstrap its own contact point, as Akka.Management's server would on binding the route.
                _ = bootstrap.Routes(ManagementRouteProviderSettings.Create(SelfContactPoint(cluster), readOnly: true));
                await bootstrap.Start().ConfigureAwait(false);
            });
        switch (discovery)
        {
            case ClusterDiscovery.Kubernetes kubernetes:
                builder.AddHocon($$"""
                    akka.discovery {
                      method = {{KubernetesPodDiscovery.Method}}
                      {{KubernetesPodDiscovery.Method}} {
                        class = "{{typeof(KubernetesPodDiscovery).AssemblyQualifiedName}}"
                        api-server = "{{kubernetes.ApiServer}}"
                        service-account-dir = {{SettingsValues.Quote(kubernetes.ServiceAccountDir)}}
                        pod-selector = {{SettingsValues.Quote(kubernetes.PodSelector)}}
                      }
                    }
                    """, HoconAddMode.Prepend);
                break;
            case ClusterDiscovery.Config config:
                builder.WithConfigDiscovery(options => options.Services.Add(new Service { Name = MailClusterHostingExtensions.SystemName, Endpoints = [.. config.ContactPoints] }));
                break;
        }

        return builder;
    }

    /// <summary>
    /// The management port's requests, before any other middleware: <see cref="SeedNodesPath"/> answered as
    /// Akka.Management answers it, and 404 for anything else (metrics, console and webhook stay on their own port).
    /// </summary>
    public static void UseClusterBootstrapEndpoint(this WebApplication app, ClusterSettings cluster, ActorSystem system) =>
        app.Use(async (context, next) =>
        {
            if (context.Connection.LocalPort != cluster.ManagementPort)
            {
                await next(context).ConfigureAwait(false);
                return;
            }

            if (!HttpMethods.IsGet(context.Request.Method) || context.Request.Path != SeedNodesPath)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(JsonConvert.SerializeObject(SeedNodes(Akka.Cluster.Cluster.Get(system))), context.RequestAborted).ConfigureAwait(false);
        });

    /// <summary>
    /// What the node tells a bootstrapping one: its own address, and the members it sees up (none while it has not
    /// joined, or once it leaves), exactly as Akka.Management's <c>HttpClusterBootstrapRoutes</c> builds it.
    /// </summary>
    private static HttpBootstrapJsonProtocol.SeedNodes SeedNodes(Akka.Cluster.Cluster cluster)
    {
        var self = cluster.SelfMember;
        if (self.Status is MemberStatus.Leaving or MemberStatus.Exiting or MemberStatus.Down or MemberStatus.Removed)
        {
            return new HttpBootstrapJsonProtocol.SeedNodes(self.UniqueAddress.Address, []);
        }

        var state = cluster.State;
        var members = state.Members
            .Where(m => !state.Unreachable.Contains(m) && m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining)
            .Take(SeedNodesShown)
            .Select(m => new HttpBootstrapJsonProtocol.ClusterMember(m.UniqueAddress.Address, m.UniqueAddress.Uid, m.Status, m.Roles))
            .ToImmutableList();
        return new HttpBootstrapJsonProtocol.SeedNodes(self.UniqueAddress.Address, members);
    }
}
