using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Metrics;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Sending;
using Acaso.Mail.Actors.Settings;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Acaso.Mail.Actors.Hosting;

/// <summary>
/// The service on the generic host: Kestrel for metrics and health on <c>MAIL_METRICS_PORT</c>, Akka.Hosting for
/// the actors, and coordinated shutdown that lets in-flight sends finish and settle before the broker connection
/// closes.
/// </summary>
public static class MailServiceHost
{
    /// <summary>Builds the host for <paramref name="settings"/>; <paramref name="logging"/> may add log providers (tests capture output).</summary>
    public static WebApplication Build(MailSettings settings, Action<ILoggingBuilder>? logging = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Extensions.Http", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http", LogLevel.Warning);
        builder.Logging.AddFilter("Quartz", LogLevel.Warning);
        logging?.Invoke(builder.Logging);
        builder.WebHost.ConfigureKestrel(k => k.ListenAnyIP(settings.MetricsPort));

        var registry = Prometheus.Metrics.NewCustomRegistry();
        var metrics = new MailMetrics(registry);
        var health = new ServiceHealth();
        var services = builder.Services;
        services.AddSingleton(settings);
        services.AddSingleton(metrics);
        services.AddSingleton(health);
        services.AddHttpClient("brevo", c => c.Timeout = Timeout.InfiniteTimeSpan).RemoveAllLoggers();
        services.AddSingleton<IBrevoClient>(sp =>
            new BrevoClient(sp.GetRequiredService<IHttpClientFactory>().CreateClient("brevo"), settings.Brevo));
        services.AddSingleton(sp => new BrevoResilience(sp.GetRequiredService<IBrevoClient>(), settings.Brevo));

        services.AddAkka("acaso-mail", (akka, sp) =>
        {
            var loggerFactory = sp.GetRequiredService<ILoggerFactory>();
            akka.AddHocon(SettingsLoader.Embedded("akka.hocon"), HoconAddMode.Prepend)
                .ConfigureLoggers(l =>
                {
                    l.ClearLoggers();
                    l.AddLoggerFactory(loggerFactory);
                })
                .AddMetricsActor(metrics, health)
                .AddBudgetKeeperActor(settings.Budget, sp.GetRequiredService<IBrevoClient>(), new SqliteBudgetStore(settings.StateDir))
                .AddMailSendersActor(sp.GetRequiredService<BrevoResilience>(), settings.SendParallelism)
                .AddQueueReaderActor(() => new RabbitMailQueue(settings.Queue, loggerFactory.CreateLogger<RabbitMailQueue>(),
                        prefetch: settings.Budget.Unlimited ? settings.SendParallelism : 0),
                    new ReaderSettings(settings.Contract, settings.Render, settings.Queue.PollInterval, settings.Queue.MaxFailedWindows, settings.Urgent),
                    new SqliteFailedWindowStore(settings.StateDir),
                    // In unlimited mode a redelivered mail is taken again within seconds, well inside Brevo's 30-minute
                    // memory of its key; a write per mail would cost throughput for nothing.
                    settings.Budget.Unlimited ? null : new SqliteSentLedger(settings.StateDir))
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
                    health.ActorsUp = true;
                });
        });

        var app = builder.Build();
        RequestDelegate scrape = async context =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        };
        app.MapGet("/", scrape);
        app.MapGet("/metrics", scrape);
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", () => health.Ready
            ? Results.Text("ready")
            : Results.Text(
                $"not ready: broker {(health.BrokerConnected ? "connected" : "disconnected")}, actors {(health.ActorsUp ? "up" : "starting")}{(health.ShuttingDown ? ", shutting down" : "")}",
                statusCode: 503));
        return app;
    }
}
