using System.Text;
using Acaso.Mail.Actors.Metrics;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Acaso.Mail.Actors.Hosting;

/// <summary>
/// <c>/readyz</c> as ASP.NET Core health checks tagged <see cref="Tag"/>: the service's own (<see cref="ServiceHealth"/>:
/// broker, database, keeper, the cluster as this node sees it) and, on a cluster node, Akka.Hosting's
/// <c>WithAkkaClusterReadinessCheck</c> (joined: Up or WeaklyUp). It answers <c>ready</c>, or 503 and every reason.
/// </summary>
public static class Readiness
{
    /// <summary>The tag of every check <c>/readyz</c> asks.</summary>
    public const string Tag = "readiness";

    /// <summary>The tag of Akka.Hosting's cluster readiness check among them (<c>WithReadinessOfCluster</c>).</summary>
    public const string ClusterTag = "akka.cluster";

    private const string ReasonsKey = "reasons";

    /// <summary>What Akka.Hosting's cluster readiness check means when it fails, in <c>/readyz</c>'s words.</summary>
    private const string NotJoined = "cluster not joined";

    /// <summary>The service's own check, over what its actors report.</summary>
    public static IHealthChecksBuilder AddServiceReadiness(this IHealthChecksBuilder checks, ServiceHealth health) =>
        checks.AddCheck("acaso-mail", new ServiceCheck(health), tags: [Tag]);

    /// <summary>The options of <c>/readyz</c>: the readiness checks, 503 unless all are healthy, the reasons as text.</summary>
    public static HealthCheckOptions Options() => new()
    {
        Predicate = check => check.Tags.Contains(Tag),
        ResultStatusCodes =
        {
            [HealthStatus.Healthy] = StatusCodes.Status200OK,
            [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
            [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
        },
        ResponseWriter = (context, report) =>
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            return context.Response.WriteAsync(Describe(report), Encoding.UTF8, context.RequestAborted);
        },
    };

    /// <summary><c>ready</c>, or <c>not ready:</c> and each reason once, the service's first.</summary>
    internal static string Describe(HealthReport report)
    {
        if (report.Status == HealthStatus.Healthy)
        {
            return "ready";
        }

        var reasons = report.Entries.Values
            .Where(entry => entry.Status != HealthStatus.Healthy)
            .SelectMany(entry => entry.Data.TryGetValue(ReasonsKey, out var own) ? (IEnumerable<string>)own : [entry.Tags.Contains(ClusterTag) ? NotJoined : entry.Description ?? "unhealthy"])
            .Distinct();
        return "not ready: " + string.Join(", ", reasons);
    }

    private sealed class ServiceCheck(ServiceHealth health) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var reasons = health.Reasons();
            return Task.FromResult(reasons.Count == 0
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy(string.Join(", ", reasons), data: new Dictionary<string, object> { [ReasonsKey] = reasons }));
        }
    }
}
