using System.Collections.Concurrent;

namespace Acaso.Mail.Actors.Metrics;

/// <summary>What <c>/readyz</c> reports: the broker connected and not blocking publishers, the database answering, the cluster joined, the actors up, not shutting down.</summary>
public sealed class ServiceHealth
{
    private readonly ConcurrentDictionary<string, string> _blocked = new();
    private volatile bool _brokerConnected;
    private volatile string? _brokerDetail;
    private volatile bool _actorsUp;
    private volatile bool _shuttingDown;
    private volatile string? _clusterProblem;
    private volatile string? _databaseProblem;

    /// <summary>The RabbitMQ connection is up.</summary>
    public bool BrokerConnected { get => _brokerConnected; set => _brokerConnected = value; }

    /// <summary>Why the broker is not reachable, when it is not.</summary>
    public string? BrokerDetail { get => _brokerDetail; set => _brokerDetail = value; }

    /// <summary>The actors have started.</summary>
    public bool ActorsUp { get => _actorsUp; set => _actorsUp = value; }

    /// <summary>Shutdown has begun.</summary>
    public bool ShuttingDown { get => _shuttingDown; set => _shuttingDown = value; }

    /// <summary>Why the cluster does not let this node serve (not joined yet, the keeper unreachable too long); null when it does or there is no cluster.</summary>
    public string? ClusterProblem { get => _clusterProblem; set => _clusterProblem = value; }

    /// <summary>Why the state's database does not serve (<c>database unreachable (…)</c>); null while it answers.</summary>
    public string? DatabaseProblem { get => _databaseProblem; set => _databaseProblem = value; }

    /// <summary>Some connection's publishes are blocked by the broker (a memory or disk alarm).</summary>
    public bool BrokerBlocked => !_blocked.IsEmpty;

    /// <summary>Records that the broker blocks (<paramref name="reason"/>) or unblocks (null) <paramref name="source"/>'s publishes.</summary>
    public void SetBlocked(string source, string? reason)
    {
        if (reason is null)
        {
            _blocked.TryRemove(source, out _);
        }
        else
        {
            _blocked[source] = reason;
        }
    }

    /// <summary>Every reason the node is not ready (none when it is): what <c>/readyz</c> lists (<see cref="Hosting.Readiness"/>).</summary>
    public IReadOnlyList<string> Reasons()
    {
        var reasons = new List<string>();
        if (!BrokerConnected)
        {
            reasons.Add("broker disconnected" + (BrokerDetail is { } detail ? $" ({detail})" : ""));
        }

        foreach (var (source, reason) in _blocked)
        {
            reasons.Add($"broker blocks publishers ({source}: {reason})");
        }

        if (ClusterProblem is { } problem)
        {
            reasons.Add(problem);
        }

        if (DatabaseProblem is { } database)
        {
            reasons.Add(database);
        }

        if (!ActorsUp)
        {
            reasons.Add("actors starting");
        }

        if (ShuttingDown)
        {
            reasons.Add("shutting down");
        }

        return reasons;
    }
}
