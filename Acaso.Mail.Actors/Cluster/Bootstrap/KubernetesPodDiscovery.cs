using System.Net;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Discovery;
using Akka.Event;
using k8s;
using k8s.Authentication;
using k8s.Autorest;
using k8s.Models;

namespace Acaso.Mail.Actors.Cluster.Bootstrap;

/// <summary>
/// Akka.Discovery over the Kubernetes API: the service's pods (by label, in the pod's own namespace), each a contact
/// point for Cluster Bootstrap at its pod IP and its container port named as the lookup asks (<c>management</c>).
/// </summary>
/// <remarks>
/// Akka.Discovery.KubernetesApi does this too, but its 1.5.73 build calls a <c>ListNamespacedPodAsync</c> overload
/// that no KubernetesClient served here has (19.0.2 and 21.0.8 dropped its <c>watch</c> argument), and it trusts the
/// API server's certificate only through the library's fixed in-cluster folder. This one calls KubernetesClient 21.0.8
/// and trusts the <c>ca.crt</c> of the service-account folder it is given.
/// </remarks>
public sealed class KubernetesPodDiscovery : ServiceDiscovery
{
    /// <summary>The discovery method's name under <c>akka.discovery</c>.</summary>
    public const string Method = "acaso-kubernetes";

    private readonly ILoggingAdapter _log;
    private readonly Kubernetes _client;
    private readonly string _namespace;
    private readonly string _selector;

    /// <summary>Made by Akka.Discovery from <c>akka.discovery.acaso-kubernetes</c>: api-server, service-account-dir, pod-selector.</summary>
    public KubernetesPodDiscovery(ExtendedActorSystem system, Akka.Configuration.Config config)
    {
        _log = Akka.Event.Logging.GetLogger(system, this);
        var serviceAccount = config.GetString("service-account-dir");
        _selector = config.GetString("pod-selector");
        _namespace = File.ReadAllText(Path.Combine(serviceAccount, "namespace")).Trim();
        _client = new Kubernetes(new KubernetesClientConfiguration
        {
            Host = config.GetString("api-server"),
            Namespace = _namespace,
            // The API server's certificate is signed by the cluster's own authority: trust that one, not the machine's.
            SslCaCerts = [X509CertificateLoader.LoadCertificateFromFile(Path.Combine(serviceAccount, "ca.crt"))],
            // Read again as Kubernetes rotates it (a projected token lives an hour).
            TokenProvider = new TokenFileAuth(Path.Combine(serviceAccount, "token")),
        });
    }

    /// <inheritdoc />
    public override async Task<Resolved> Lookup(Lookup lookup, TimeSpan resolveTimeout)
    {
        using var timeout = new CancellationTokenSource(resolveTimeout);
        V1PodList pods;
        try
        {
            pods = await _client.CoreV1.ListNamespacedPodAsync(_namespace, labelSelector: _selector, cancellationToken: timeout.Token).ConfigureAwait(false);
        }
        catch (HttpOperationException e)
        {
            // A fresh exception: the original carries the request, and the request its bearer token.
            var status = e.Response.StatusCode;
            throw new InvalidOperationException($"The Kubernetes API answered {(int)status} {status} to the list of pods {_selector} in namespace {_namespace}" +
                (status == HttpStatusCode.Forbidden ? ": the service account needs get, list and watch on pods (the Role in deploy/kubernetes)" : ""));
        }

        var targets = Targets(pods, lookup.PortName).ToList();
        if (targets.Count == 0)
        {
            _log.Warning("No running pod {0} in namespace {1} has an IP and a port named {2} yet", _selector, _namespace, lookup.PortName ?? "(any)");
        }

        return new Resolved(lookup.ServiceName, targets);
    }

    /// <summary>
    /// The contact points among <paramref name="pods"/>: running, not being deleted, with an IP, and (when
    /// <paramref name="portName"/> is given) a container port of that name.
    /// </summary>
    internal static IEnumerable<ResolvedTarget> Targets(V1PodList pods, string? portName)
    {
        foreach (var pod in pods.Items)
        {
            if (pod.Metadata?.DeletionTimestamp is not null || pod.Status?.Phase != "Running" || string.IsNullOrEmpty(pod.Status.PodIP) ||
                !IPAddress.TryParse(pod.Status.PodIP, out var address))
            {
                continue;
            }

            int? port = null;
            if (portName is not null)
            {
                port = pod.Spec?.Containers?.SelectMany(c => c.Ports ?? []).FirstOrDefault(p => p.Name == portName)?.ContainerPort;
                if (port is null)
                {
                    continue;
                }
            }

            yield return new ResolvedTarget(pod.Status.PodIP, port, address);
        }
    }
}
