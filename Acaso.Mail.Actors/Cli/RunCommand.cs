using System.CommandLine;
using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Hosting;
using Acaso.Mail.Actors.Logging;
using Acaso.Mail.Actors.Settings;
using Microsoft.Extensions.Logging;

namespace Acaso.Mail.Actors.Cli;

/// <summary><c>run</c> (also what no verb means): the service itself, until SIGTERM or Ctrl+C.</summary>
public static class RunCommand
{
    /// <summary>The api key the service and its local capture sink share when no real key is set.</summary>
    private const string CaptureKey = "local-capture-sink";

    /// <summary>The verb's declaration.</summary>
    public static Command Create(MailConsole console)
    {
        var command = new Command("run", "Start the service (the default). It is configured by environment variables (see the README).");
        command.SetAction((_, cancel) => RunAsync(console, cancel));
        return command;
    }

    /// <summary>Runs the service; returns the exit code.</summary>
    public static async Task<int> RunAsync(MailConsole console, CancellationToken cancellationToken)
    {
        var settings = console.LoadSettings();
        using var logs = MailLogging.ConsoleFactory(settings.JsonLogs);
        var log = logs.CreateLogger("acaso-mail");
        var database = settings.Database.Describe(settings.StateDir);
        if (settings.Cluster.Enabled && settings.Cluster.Tls is null)
        {
            log.LogWarning("{Build}. Role: cluster node {Hostname}:{Port}, {Join}; the budget keeper runs on the oldest node; state in {Database}. " +
                "Cluster traffic is plain TCP (no MAIL_CLUSTER_TLS_CERT): anything that reaches port {Port} can join the cluster",
                BuildInfo.Describe, settings.Cluster.Hostname, settings.Cluster.Port, settings.Cluster.DescribeJoin(), database, settings.Cluster.Port);
        }
        else if (settings.Cluster.Enabled)
        {
            log.LogInformation("{Build}. Role: cluster node {Hostname}:{Port}, {Join}, over mutual TLS; the budget keeper runs on the oldest node; state in {Database}",
                BuildInfo.Describe, settings.Cluster.Hostname, settings.Cluster.Port, settings.Cluster.DescribeJoin(), database);
        }
        else
        {
            log.LogInformation("{Build}. Role: a single node (no MAIL_CLUSTER_SEEDS or MAIL_CLUSTER_DISCOVERY), holding the budget keeper itself; state in {Database}",
                BuildInfo.Describe, database);
        }

        BrevoCaptureSink? sink = null;
        if (settings.Brevo.ApiKey.IsEmpty)
        {
            Directory.CreateDirectory(settings.StateDir);
            var outbox = Path.GetFullPath(Path.Combine(settings.StateDir, "outbox.jsonl"));
            sink = new BrevoCaptureSink(outbox, CaptureKey, settings.Budget.DailyLimit);
            await sink.ListenAsync().ConfigureAwait(false);
            if (!settings.Delivery.Token.IsEmpty)
            {
                // As Brevo would: each accepted mail's delivery event goes to the service's own webhook.
                sink.WebhookUrl = new Uri($"http://127.0.0.1:{settings.MetricsPort}{Delivery.BrevoWebhook.Path}");
                sink.WebhookToken = settings.Delivery.Token.Reveal();
            }

            settings = settings with { Brevo = settings.Brevo with { Url = sink.BaseUrl, ApiKey = new Secret(CaptureKey) } };
            log.LogWarning("SENDINBLUE_API_KEY is not set: mails go to a local capture sink at {SinkUrl}; each accepted request is appended to {Outbox}",
                sink.BaseUrl, outbox);
        }

        try
        {
            var app = MailServiceHost.Build(settings);
            log.LogInformation("Reading '{Queue}' at {BrokerUrl}; metrics on http://localhost:{MetricsPort}/",
                settings.Queue.Name, settings.Queue.SafeUrl, settings.MetricsPort);
            try
            {
                await app.RunAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
            {
                // Kestrel could not bind: a setting to change, not a crash to trace (the caller prints one line, exit 78).
                throw new SettingsException($"MAIL_METRICS_PORT={settings.MetricsPort}: the port is already in use by another " +
                    "process; stop it or choose a free port");
            }

            return ExitCodes.Ok;
        }
        finally
        {
            if (sink is not null)
            {
                await sink.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
