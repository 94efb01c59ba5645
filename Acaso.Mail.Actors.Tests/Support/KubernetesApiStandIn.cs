using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Acaso.Mail.Actors.Tests.Support;

/// <summary>
/// The one call of the Kubernetes API that Cluster Bootstrap's discovery makes, served as the real API server serves it:
/// HTTPS with a certificate from a certificate authority made here, a bearer token, and a real <c>PodList</c> of the
/// pods a spec adds and removes (labels, phase, pod IP, named container ports), filtered by the label selector. A
/// service-account folder (<c>token</c>, <c>ca.crt</c>, <c>namespace</c>) holds what a pod would be given.
/// </summary>
public sealed class KubernetesApiStandIn : IAsyncDisposable
{
    /// <summary>The pods' namespace: the only one the service account may list.</summary>
    public const string Namespace = "acaso-mail-spec";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, V1Pod> _pods = new();
    private readonly string _token = "spec-token-" + Guid.NewGuid().ToString("N");

    private KubernetesApiStandIn(WebApplication app, string serviceAccountDir)
    {
        _app = app;
        ServiceAccountDir = serviceAccountDir;
    }

    /// <summary>The folder a pod's service account is mounted at: <c>token</c>, <c>ca.crt</c>, <c>namespace</c>.</summary>
    public string ServiceAccountDir { get; }

    /// <summary>The port it listens on at 127.0.0.1.</summary>
    public int Port { get; private set; }

    /// <summary>Every request: its path and query, and whether it carried the service account's token.</summary>
    public ConcurrentQueue<(string PathAndQuery, bool Authorized)> Requests { get; } = new();

    /// <summary>Starts the stand-in on a free port of 127.0.0.1.</summary>
    public static async Task<KubernetesApiStandIn> StartAsync()
    {
        var (authority, server) = Certificates();
        var folder = Directory.CreateTempSubdirectory("acaso-serviceaccount-").FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "ca.crt"), authority.ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(folder, "namespace"), Namespace);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(server)));
        var app = builder.Build();
        var standIn = new KubernetesApiStandIn(app, folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "token"), standIn._token);
        app.MapGet("/api/v1/namespaces/{ns}/pods", (HttpContext context, string ns) => standIn.ListPods(context, ns));
        await app.StartAsync();
        standIn.Port = new Uri(app.Urls.First()).Port;
        return standIn;
    }

    /// <summary>Lists a pod from now on (or replaces the one of the same name).</summary>
    public void Add(V1Pod pod) => _pods[pod.Metadata.Name] = pod;

    /// <summary>Lists it no more (a deleted pod).</summary>
    public void Remove(string name) => _pods.TryRemove(name, out _);

    /// <summary>
    /// A pod as a Deployment's replica looks: its labels, its phase, its IP, and one container with the ports the
    /// manifests name (<c>management</c> among them).
    /// </summary>
    public static V1Pod Pod(string name, string ip, int managementPort, int remotePort, string phase = "Running", string app = "acaso-mail") => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace, Labels = new Dictionary<string, string> { ["app"] = app } },
        Spec = new V1PodSpec
        {
            Containers =
            [
                new V1Container
                {
                    Name = "mail",
                    Image = "acaso-mail:spec",
                    Ports =
                    [
                        new V1ContainerPort { Name = "remoting", ContainerPort = remotePort },
                        new V1ContainerPort { Name = Actors.Cluster.Bootstrap.ClusterBootstrapHosting.ManagementPortName, ContainerPort = managementPort },
                    ],
                },
            ],
        },
        Status = new V1PodStatus { Phase = phase, PodIP = phase == "Pending" ? null : ip },
    };

    private IResult ListPods(HttpContext context, string ns)
    {
        var authorized = context.Request.Headers.Authorization.ToString() == "Bearer " + _token;
        Requests.Enqueue((context.Request.Path + context.Request.QueryString, authorized));
        if (!authorized)
        {
            return Status(401, "Unauthorized", "Unauthorized");
        }

        if (ns != Namespace)
        {
            // The Role is namespaced: the service account lists pods in its own namespace only.
            return Status(403, "Forbidden", $"pods is forbidden: cannot list resource \"pods\" in API group \"\" in the namespace \"{ns}\"");
        }

        var selector = (context.Request.Query["labelSelector"].ToString() ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(term => term.Split('=', 2))
            .ToList();
        var items = _pods.Values
            .Where(pod => selector.All(term => term.Length == 2 && pod.Metadata.Labels.TryGetValue(term[0], out var value) && value == term[1]))
            .OrderBy(pod => pod.Metadata.Name, StringComparer.Ordinal)
            .ToList();
        var list = new V1PodList { ApiVersion = "v1", Kind = "PodList", Metadata = new V1ListMeta { ResourceVersion = "1" }, Items = items };
        return Results.Text(KubernetesJson.Serialize(list), "application/json");
    }

    private static IResult Status(int code, string reason, string message) =>
        Results.Text(KubernetesJson.Serialize(new V1Status { ApiVersion = "v1", Kind = "Status", Status = "Failure", Code = code, Reason = reason, Message = message }),
            "application/json", statusCode: code);

    /// <summary>A certificate authority, and the API server's certificate it signed for 127.0.0.1.</summary>
    private static (X509Certificate2 Authority, X509Certificate2 Server) Certificates()
    {
        using var authorityKey = RSA.Create(2048);
        var authorityRequest = new CertificateRequest("CN=acaso-mail-spec-ca", authorityKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        authorityRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        authorityRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var now = DateTimeOffset.UtcNow;
        using var authority = authorityRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(2));

        using var serverKey = RSA.Create(2048);
        var serverRequest = new CertificateRequest("CN=kubernetes", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("kubernetes.default.svc");
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        using var signed = serverRequest.Create(authority, now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(16));
        using var withKey = signed.CopyWithPrivateKey(serverKey);
        // Through PKCS#12 so that SslStream can use the key on Linux.
        var server = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        return (X509CertificateLoader.LoadCertificate(authority.Export(X509ContentType.Cert)), server);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(ServiceAccountDir, recursive: true);
    }
}
