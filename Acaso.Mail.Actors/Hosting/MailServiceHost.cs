using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Cluster;
using Acaso.Mail.Actors.Cluster.Bootstrap;
using Acaso.Mail.Actors.Delivery;
using Acaso.Mail.Actors.Events;
using Acaso.Mail.Actors.Logging;
using Acaso.Mail.Actors.Metrics;
using Acaso.Mail.Actors.Operator;
using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Sending;
using Acaso.Mail.Actors.Settings;
using Acaso.Mail.Actors.Storage;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Acaso.Mail.Actors.Hosting;

/// <summary>
/// The service on the generic host: Kestrel for metrics and health on <c>MAIL_METRICS_PORT</c>, Akka.Hosting for
/// the actors (<see cref="MailActorsHostingExtensions.AddMailActors"/>, in the <see cref="DispatchMode"/> the settings
/// ask for, with Quartz's ticks), and coordinated shutdown that lets in-flight sends finish and settle before the
/// broker connection closes.
/// </summary>
public static class MailServiceHost
{
    private const string LivenessTag = "liveness";

    /// <summary>
    /// The actors serve once the budget keeper has recovered its day and read Brevo's credits: until then it grants
    /// nothing, and the budget gauges do not yet show the day's count. In a cluster the keeper may be on another node,
    /// or still moving there: it is asked again until it answers.
    /// </summary>
    private static void ReadyOnceTheKeeperStarts(ActorSystem system, IActorRef keeper, ServiceHealth health) =>
        _ = Task.Run(async () =>
        {
            while (!system.WhenTerminated.IsCompleted)
            {
                try
                {
                    await keeper.Ask<Budget.BudgetProtocol.KeeperStarted>(Budget.BudgetProtocol.WhenStarted.Instance, TimeSpan.FromSeconds(10))
                        .ConfigureAwait(false);
                    health.ActorsUp = true;
                    return;
                }
                catch (AskTimeoutException)
                {
                    // Not started yet (a long recovery, Brevo slow to answer its credits) or not reachable yet: ask again.
                }
            }
        });

    /// <summary>
    /// ASP.NET Core's forwarded headers, from <paramref name="proxies"/> only: their <c>X-Forwarded-For</c> and
    /// <c>X-Forwarded-Proto</c> count, anyone else's neither (not even loopback's, the framework's default).
    /// </summary>
    private static ForwardedHeadersOptions ForwardedHeadersFrom(IReadOnlyList<System.Net.IPNetwork> proxies)
    {
        var options = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto };
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
#pragma warning disable ASPDEPR005 // The older list of the same networks: it holds loopback by default, and the middleware reads it too.
        options.KnownNetworks.Clear();
#pragma warning restore ASPDEPR005
        foreach (var proxy in proxies)
        {
            options.KnownIPNetworks.Add(proxy);
        }

        return options;
    }

    /// <summary>Builds the host for <paramref name="settings"/>; <paramref name="logging"/> may add log providers (tests capture output).</summary>
    public static WebApplication Build(MailSettings settings, Action<ILoggingBuilder>? logging = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.AddMailConsole(settings.JsonLogs);
        logging?.Invoke(builder.Logging);
        builder.WebHost.ConfigureKestrel(k =>
        {
            // The metrics port, and with Cluster Bootstrap the management port: the contact point the other nodes ask.
            foreach (var port in settings.Cluster.Discovery is null ? [settings.MetricsPort] : new[] { settings.MetricsPort, settings.Cluster.ManagementPort })
            {
                if (settings.ListenAddress is { } address)
                {
                    k.Listen(address, port);
                }
                else
                {
                    k.ListenAnyIP(port);
                }
            }
        });

        var registry = Prometheus.Metrics.NewCustomRegistry();
        var metrics = new MailMetrics(registry);
        metrics.BuildInfo.WithLabels(BuildInfo.Version, BuildInfo.Commit).Set(1);
        var health = new ServiceHealth();
        var database = MailDatabase.For(settings.Database.Postgres, settings.StateDir);
        var services = builder.Services;
        services.AddHttpClient("brevo", c => c.Timeout = Timeout.InfiniteTimeSpan).RemoveAllLoggers();
        services.AddSingleton<IBrevoClient>(sp =>
            new BrevoClient(sp.GetRequiredService<IHttpClientFactory>().CreateClient("brevo"), settings.Brevo));

        // Liveness is Akka.Hosting's own check: whether the actor system is alive, and nothing more.
        services.AddHealthChecks().AddServiceReadiness(health);
        services.AddSingleton(sp => StateStores.Open(database, settings.StateDir, sp.GetRequiredService<ILoggerFactory>().CreateLogger("acaso-mail")));

        services.AddAkka(MailClusterHostingExtensions.SystemName, (akka, sp) =>
        {
            var brevo = sp.GetRequiredService<IBrevoClient>();
            var logs = sp.GetRequiredService<ILoggerFactory>();
            var log = logs.CreateLogger("acaso-mail");
            var stores = sp.GetRequiredService<StateStores>();
            var mode = DispatchMode.For(settings, brevo, logs, stores);
            log.LogInformation("Dispatching in {Mode}; state in {Database}", mode.Description, settings.Database.Describe(settings.StateDir));
            akka.AddHocon(database.PersistenceConfig(), HoconAddMode.Prepend)
                .AddMailCluster(settings.Cluster, settings.ListenAddress)
                .AddMailDefaults()
                .AddMailActors(new MailActorsOptions(mode.Keeper, new BrevoResilience(brevo, settings.Brevo), settings.SendParallelism,
                    mode.Queue, ReaderSettings.From(settings), stores.FailedWindows, mode.SentLedger, metrics, health,
                    new DeliveryOptions(stores.Delivery, new DeliverySettings(settings.Delivery.SoftBounceLimit, HistoryDays: settings.Delivery.HistoryDays,
                        SyncBrevoBlocklist: settings.Delivery.SyncBrevoBlocklist), brevo), ClusterKeeper: settings.Cluster.Enabled))
                .WithActorSystemLivenessCheck(tags: [LivenessTag])
                .WithReadinessOfCluster(settings.Cluster)
                .AddDatabaseWatchActor(database)
                .AddClusterStatusActor(settings.Cluster)
                .WithActors((system, registry) =>
                {
                    if (settings.Queue.DurableInbox)
                    {
                        // After the Metrics actor, so it counts every move; the backlog is moved in the first second.
                        // It tells the node's reader of each urgent mail it moves, so the reader need not poll for them.
                        var mover = new InboxMover(settings.Queue, logs.CreateLogger<InboxMover>(), settings.Urgent.Priority,
                            (priority, count) => system.EventStream.Publish(new MailEvents.UrgentMoved(priority, count)));
                        registry.Register<InboxMoverActor>(system.ActorOf(InboxMoverActor.Props(mover), "inbox-mover"));
                    }
                })
                .AddStartup((system, actors) =>
                {
                    var reader = actors.Get<QueueReaderActor>();
                    CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceRequestsDone, "drain-queue-reader", async () =>
                    {
                        health.ShuttingDown = true;
                        try
                        {
                            await reader.Ask<QueueProtocol.Drained>(QueueProtocol.Drain.Instance, TimeSpan.FromSeconds(25)).ConfigureAwait(false);
                        }
                        catch (AskTimeoutException)
                        {
                            // Whatever is still unsettled returns to the queue when the connection closes.
                        }

                        return Akka.Done.Instance;
                    });
                    ReadyOnceTheKeeperStarts(system, actors.Get<Budget.BudgetKeeper>(), health);
                });
        });

        if (!settings.ConsolePassword.IsEmpty)
        {
            services.AddConsoleSignInLimit();
            services.AddLocalization();
        }

        var app = builder.Build();
        if (settings.Cluster.Discovery is not null)
        {
            app.UseClusterBootstrapEndpoint(settings.Cluster, app.Services.GetRequiredService<ActorSystem>());
        }

        if (settings.TrustedProxies.Count > 0)
        {
            // Only with proxies to trust: with none listed, the middleware would trust every sender.
            app.UseForwardedHeaders(ForwardedHeadersFrom(settings.TrustedProxies));
        }
        RequestDelegate scrape = async context =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        };
        app.MapGet("/", scrape);
        app.MapGet("/metrics", scrape);
        // A broker, database or cluster outage is readiness's (/readyz), never liveness's: an orchestrator restarts a process
        // whose liveness fails, and a restart mends none of those.
        var liveness = new HealthCheckOptions { Predicate = check => check.Tags.Contains(LivenessTag) };
        app.MapHealthChecks("/livez", liveness);
        app.MapHealthChecks("/healthz", liveness);
        app.MapHealthChecks("/readyz", Readiness.Options());
        if (!settings.Delivery.Token.IsEmpty)
        {
            var system = app.Services.GetRequiredService<ActorSystem>();
            app.MapPost(BrevoWebhook.Path, (Delegate)((HttpContext context) =>
                BrevoWebhook.HandleAsync(context, settings.Delivery.Token, ActorRegistry.For(system).Get<DeliveryActor>(), system.Scheduler.Now)));
        }
        if (!settings.ConsolePassword.IsEmpty)
        {
            app.UseRateLimiter();
            // The console's language, from the browser's Accept-Language: for its pages only (metrics and the webhook stay invariant).
            app.UseWhen(context => context.Request.Path.StartsWithSegments("/console"), console => console.UseRequestLocalization(ConsoleText.Localization()));
            app.MapOperatorConsole(new ConsoleServices(settings, new ConsoleSessions(settings.ConsolePassword, TimeProvider.System), metrics,
                app.Services.GetRequiredService<StateStores>().Delivery, new DeadLetterQueue(settings.Queue), app.Services.GetRequiredService<ActorSystem>(),
                TimeProvider.System, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(ConsoleEndpoints.LogCategory)));
        }

        return app;
    }
}
