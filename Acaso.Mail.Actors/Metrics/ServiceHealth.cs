namespace Acaso.Mail.Actors.Metrics;

/// <summary>What <c>/readyz</c> reports: the broker connected, the actors up, not shutting down.</summary>
public sealed class ServiceHealth
{
    private volatile bool _brokerConnected;
    private volatile bool _actorsUp;
    private volatile bool _shuttingDown;

    /// <summary>The RabbitMQ connection is up.</summary>
    public bool BrokerConnected { get => _brokerConnected; set => _brokerConnected = value; }

    /// <summary>The actors have started.</summary>
    public bool ActorsUp { get => _actorsUp; set => _actorsUp = value; }

    /// <summary>Shutdown has begun.</summary>
    public bool ShuttingDown { get => _shuttingDown; set => _shuttingDown = value; }

    /// <summary>Ready to serve.</summary>
    public bool Ready => BrokerConnected && ActorsUp && !ShuttingDown;
}
