using Acaso.Mail.Actors.Cluster;
using Acaso.Mail.Actors.Logging;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Acaso.Mail.Actors.Hosting;

/// <summary>
/// The actors on a plain generic host, without Kestrel or Quartz unless the options ask: how the simulator, the bench
/// and the specs run exactly what the service runs (<see cref="MailActorsHostingExtensions.AddMailActors"/>).
/// </summary>
public sealed class MailActorsHost : IAsyncDisposable
{
    private readonly IHost _host;
    private int _disposed;

    private MailActorsHost(IHost host, ActorSystem system, MailActors actors)
    {
        _host = host;
        System = system;
        Actors = actors;
    }

    /// <summary>The actor system the actors run in.</summary>
    public ActorSystem System { get; }

    /// <summary>The started actors.</summary>
    public MailActors Actors { get; }

    /// <summary>Starts the host and returns once the actors serve (<see cref="MailActors.StartedAsync"/>).</summary>
    /// <param name="options">What the actors need.</param>
    /// <param name="hocon">Extra Akka configuration on top of the embedded defaults (a test scheduler, a log level).</param>
    /// <param name="logging">Log providers (none by default).</param>
    /// <param name="logLevel">What Akka logs.</param>
    /// <param name="before">Configuration applied before the actors start (a spec moves its virtual clock there).</param>
    /// <param name="cancellationToken">Stops waiting for the start.</param>
    public static async Task<MailActorsHost> StartAsync(MailActorsOptions options, string? hocon = null, Action<ILoggingBuilder>? logging = null,
        Akka.Event.LogLevel logLevel = Akka.Event.LogLevel.InfoLevel, Action<AkkaConfigurationBuilder>? before = null,
        CancellationToken cancellationToken = default)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        logging?.Invoke(builder.Logging);
        builder.Services.AddAkka(MailClusterHostingExtensions.SystemName, (akka, _) =>
        {
            if (hocon is not null)
            {
                akka.AddHocon(hocon, HoconAddMode.Prepend);
            }

            akka.AddMailDefaults(logLevel);
            before?.Invoke(akka);
            akka.AddMailActors(options);
        });
        var host = builder.Build();
        await host.StartAsync(cancellationToken).ConfigureAwait(false);
        var system = host.Services.GetRequiredService<ActorSystem>();
        var actors = await MailActors.StartedAsync(ActorRegistry.For(system), cancellationToken).ConfigureAwait(false);
        return new MailActorsHost(host, system, actors);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // A spec may stop a node (a cluster member leaving) before its own clean-up stops it again.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _host.StopAsync().ConfigureAwait(false);
        _host.Dispose();
    }
}
