using Acaso.Mail.Actors.Cluster.Bootstrap;
using Acaso.Mail.Actors.Hosting;
using Acaso.Mail.Actors.Settings;
using Acaso.Mail.Actors.Tests.Support;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Routing;
using YamlDotNet.RepresentationModel;

namespace Acaso.Mail.Actors.Tests.House;

/// <summary>
/// deploy/kubernetes cannot be applied here (no cluster): each manifest the kustomization lists is parsed strictly with
/// KubernetesClient's models (an unknown field fails), and what it refers to is checked against the service itself.
/// </summary>
public sealed class KubernetesManifestSpecs
{
    private const string Folder = "deploy/kubernetes";

    /// <summary>The one variable the manifests set that the service's loader does not read: the .NET runtime reads it.</summary>
    private const string RuntimeVariable = "DOTNET_GCHeapHardLimitPercent";

    /// <summary>Every object of every file the kustomization lists, each parsed strictly.</summary>
    private static List<object> Manifests()
    {
        var kustomization = new YamlStream();
        kustomization.Load(new StringReader(File.ReadAllText(Repository.PathOf($"{Folder}/kustomization.yaml"))));
        var resources = (YamlSequenceNode)((YamlMappingNode)kustomization.Documents[0].RootNode)[new YamlScalarNode("resources")];
        return resources.Children.Cast<YamlScalarNode>()
            .SelectMany(file => KubernetesYaml.LoadAllFromString(File.ReadAllText(Repository.PathOf($"{Folder}/{file.Value}")), strict: true))
            .ToList();
    }

    private static T One<T>() => Assert.Single(Manifests().OfType<T>());

    private static V1Container Container() => Assert.Single(One<V1Deployment>().Spec.Template.Spec.Containers);

    /// <summary>The environment a pod of the Deployment gets: the ConfigMap, its own variables, stand-ins for the secrets.</summary>
    private static Dictionary<string, string> PodEnvironment()
    {
        var environment = new Dictionary<string, string>(One<V1ConfigMap>().Data);
        foreach (var variable in Container().Env)
        {
            environment[variable.Name] = variable.Value ?? variable.Name switch
            {
                "MAIL_CLUSTER_HOSTNAME" => "10.244.1.7",
                "MAIL_DATABASE_URL" => "postgresql://acaso:pw@postgres:5432/acaso_mail",
                _ => "secret",
            };
        }

        return environment;
    }

    [Fact]
    public void Every_manifest_should_parse_strictly_and_an_unknown_field_should_fail()
    {
        var kinds = Manifests().Select(m => m.GetType().Name).Order().ToList();
        Assert.Equal(["V1ConfigMap", "V1Deployment", "V1PodDisruptionBudget", "V1Role", "V1RoleBinding", "V1Service", "V1ServiceAccount"], kinds);
        // The check can fail: a misspelt field is refused.
        var misspelt = File.ReadAllText(Repository.PathOf($"{Folder}/deployment.yaml")).Replace("  replicas: 3", "  replicaz: 3", StringComparison.Ordinal);
        Assert.ThrowsAny<Exception>(() => KubernetesYaml.LoadAllFromString(misspelt, strict: true));
    }

    [Fact]
    public void Every_variable_the_manifests_name_should_be_one_the_settings_loader_reads_and_a_pod_should_start_on_them()
    {
        var named = One<V1ConfigMap>().Data.Keys.Concat(Container().Env.Select(v => v.Name)).ToList();
        Assert.All(named.Where(n => n != RuntimeVariable), name => Assert.True(SettingsLoader.EnvironmentVariables.ContainsKey(name), $"{name} is read by no one"));
        foreach (var secret in new[] { "SENDINBLUE_API_KEY", "MAIL_DATABASE_URL", "MAIL_WEBHOOK_TOKEN", "MAIL_CONSOLE_PASSWORD", "MAIL_CLUSTER_TLS_PASSWORD" })
        {
            Assert.NotNull(Assert.Single(Container().Env, v => v.Name == secret).ValueFrom.SecretKeyRef);
        }

        Assert.Equal("status.podIP", Assert.Single(Container().Env, v => v.Name == "MAIL_CLUSTER_HOSTNAME").ValueFrom.FieldRef.FieldPath);

        // A pod with its service account mounted and Kubernetes' own variables starts on them (the certificate aside,
        // which the Secret holds): discovery by the pods' own label, on TLS.
        var account = Directory.CreateTempSubdirectory("acaso-serviceaccount-").FullName;
        try
        {
            foreach (var file in new[] { "token", "ca.crt", "namespace" })
            {
                File.WriteAllText(Path.Combine(account, file), file);
            }

            var environment = PodEnvironment();
            Assert.Equal("true", environment["MAIL_CLUSTER_TLS_REQUIRED"]);
            environment["MAIL_CLUSTER_TLS_CERT"] = "";
            environment["MAIL_CLUSTER_TLS_REQUIRED"] = "false";
            environment["MAIL_KUBERNETES_SERVICE_ACCOUNT_DIR"] = account;
            environment["KUBERNETES_SERVICE_HOST"] = "10.96.0.1";
            environment["KUBERNETES_SERVICE_PORT"] = "443";
            var settings = SettingsLoader.Load(name => environment.GetValueOrDefault(name));
            var discovery = Assert.IsType<ClusterDiscovery.Kubernetes>(settings.Cluster.Discovery);
            var labels = One<V1Deployment>().Spec.Template.Metadata.Labels;
            Assert.Equal(discovery.PodSelector, string.Join(",", labels.Select(l => $"{l.Key}={l.Value}")));
            Assert.Equal(labels, One<V1Deployment>().Spec.Selector.MatchLabels);
        }
        finally
        {
            Directory.Delete(account, recursive: true);
        }
    }

    [Fact]
    public async Task Probes_and_ports_should_be_ones_the_service_serves()
    {
        var environment = PodEnvironment();
        // Built, not run, as a node alone on a state folder of its own: the same routes, nothing to reach.
        environment["MAIL_CLUSTER_DISCOVERY"] = "";
        environment["MAIL_CLUSTER_TLS_CERT"] = "";
        environment["MAIL_CLUSTER_TLS_REQUIRED"] = "false";
        environment["MAIL_DATABASE_URL"] = "";
        using var state = new TempStateDir();
        environment["MAIL_STATE_DIR"] = state.Path;
        var settings = SettingsLoader.Load(name => environment.GetValueOrDefault(name));
        // The routes of the service's own host, as it is built for these settings.
        await using var app = MailServiceHost.Build(settings);
        var served = ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Select(e => "/" + e.RoutePattern.RawText?.TrimStart('/')).ToHashSet();
        Assert.Contains("/console", served);

        var container = Container();
        var ports = container.Ports.ToDictionary(p => p.Name, p => p.ContainerPort);
        Assert.Equal(settings.MetricsPort, ports["http"]);
        Assert.Equal(settings.Cluster.Port, ports["remoting"]);
        var management = int.Parse(environment["MAIL_MANAGEMENT_PORT"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(management, ports[ClusterBootstrapHosting.ManagementPortName]);
        foreach (var probe in new[] { container.StartupProbe, container.LivenessProbe, container.ReadinessProbe })
        {
            Assert.Contains(probe.HttpGet.Path, served);
            Assert.Equal("http", probe.HttpGet.Port.Value);
        }

        // Liveness never asks what an outage of a dependency changes; readiness does.
        Assert.Equal("/livez", container.LivenessProbe.HttpGet.Path);
        Assert.Equal("/readyz", container.ReadinessProbe.HttpGet.Path);
        Assert.Equal("http", Assert.Single(One<V1Service>().Spec.Ports).TargetPort.Value);
        var template = One<V1Deployment>().Spec.Template;
        Assert.Equal("/metrics", template.Metadata.Annotations["prometheus.io/path"]);
        Assert.Contains("/metrics", served);
        Assert.Equal(settings.MetricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture), template.Metadata.Annotations["prometheus.io/port"]);
    }

    [Fact]
    public void The_role_should_grant_what_discovery_calls_and_nothing_more_to_the_pods_account()
    {
        var rule = Assert.Single(One<V1Role>().Rules);
        Assert.Equal([""], rule.ApiGroups);
        Assert.Equal(["pods"], rule.Resources);
        // KubernetesPodDiscovery lists the namespace's pods; get and watch are what Akka.Management's documentation asks.
        Assert.Contains("list", rule.Verbs);
        Assert.Equal(["get", "list", "watch"], rule.Verbs.Order());

        var binding = One<V1RoleBinding>();
        Assert.Equal(One<V1Role>().Metadata.Name, binding.RoleRef.Name);
        var account = Assert.Single(binding.Subjects);
        Assert.Equal(("ServiceAccount", One<V1ServiceAccount>().Metadata.Name), (account.Kind, account.Name));
        Assert.Equal(account.Name, One<V1Deployment>().Spec.Template.Spec.ServiceAccountName);
    }

    [Fact]
    public void The_deployment_should_replace_one_pod_at_a_time_outlast_the_drain_and_run_unprivileged()
    {
        var deployment = One<V1Deployment>();
        Assert.Equal(3, deployment.Spec.Replicas);
        Assert.Equal(("1", "0"), (deployment.Spec.Strategy.RollingUpdate.MaxSurge.Value, deployment.Spec.Strategy.RollingUpdate.MaxUnavailable.Value));
        Assert.Equal("1", One<V1PodDisruptionBudget>().Spec.MaxUnavailable.Value);
        // The drain waits up to 25 s for in-flight sends, then the node leaves and the keeper is handed over.
        Assert.InRange(deployment.Spec.Template.Spec.TerminationGracePeriodSeconds ?? 30, 45, 300);

        var pod = deployment.Spec.Template.Spec.SecurityContext;
        Assert.True(pod.RunAsNonRoot);
        // The aspnet image's APP_UID, the Dockerfile's USER.
        Assert.Equal(1654, pod.RunAsUser);
        Assert.Contains("USER $APP_UID", File.ReadAllLines(Repository.PathOf("Dockerfile")));
        var container = Container().SecurityContext;
        Assert.True(container.ReadOnlyRootFilesystem);
        Assert.False(container.AllowPrivilegeEscalation);
        Assert.Equal(["ALL"], container.Capabilities.Drop);
        Assert.Equal(["/data", "/tls", "/tmp"], Container().VolumeMounts.Select(m => m.MountPath).Order());

        // Requests and limits set, and the GC told to keep within the limit.
        var resources = Container().Resources;
        Assert.True(resources.Limits["memory"].ToInt64() > resources.Requests["memory"].ToInt64());
        Assert.Equal("0x3C", Assert.Single(Container().Env, v => v.Name == RuntimeVariable).Value);
    }
}
