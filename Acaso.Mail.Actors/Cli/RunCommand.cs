using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Hosting;
using Acaso.Mail.Actors.Settings;

namespace Acaso.Mail.Actors.Cli;

/// <summary><c>run</c>: the service itself, until SIGTERM or Ctrl+C.</summary>
public static class RunCommand
{
    /// <summary>The api key the service and its local capture sink share when no real key is set.</summary>
    private const string CaptureKey = "local-capture-sink";

    /// <summary>Runs the service; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, MailSettings settings)
    {
        if (args.Length > 0)
        {
            await Console.Error.WriteLineAsync($"run: unexpected '{args[0]}'; the service is configured by environment variables (see README)").ConfigureAwait(false);
            return 64;
        }

        BrevoStandIn? sink = null;
        if (settings.Brevo.ApiKey.IsEmpty)
        {
            Directory.CreateDirectory(settings.StateDir);
            var outbox = Path.GetFullPath(Path.Combine(settings.StateDir, "outbox.jsonl"));
            sink = await BrevoStandIn.StartAsync(outboxPath: outbox, requiredApiKey: CaptureKey, credits: settings.Budget.DailyLimit).ConfigureAwait(false);
            settings = settings with { Brevo = settings.Brevo with { Url = sink.BaseUrl, ApiKey = new Secret(CaptureKey) } };
            Console.WriteLine($"acaso-mail: SENDINBLUE_API_KEY is not set: mails go to a local capture sink at {sink.BaseUrl}; " +
                              $"each accepted request is appended to {outbox}");
        }

        try
        {
            var app = MailServiceHost.Build(settings);
            var budget = settings.Budget.Unlimited
                ? $"unlimited mode: at most {settings.Budget.RatePerSecond} mails a second, {settings.SendParallelism} at once"
                : $"{settings.Budget.PerHour} mails an hour ({settings.Budget.HourlyCron}), {settings.Budget.DailyLimit} a day, zone {settings.Budget.Zone.Id}";
            Console.WriteLine($"acaso-mail: reading '{settings.Queue.Name}' at {settings.Queue.SafeUrl}; metrics on http://localhost:{settings.MetricsPort}/ ; {budget}");
            await app.RunAsync().ConfigureAwait(false);
            return 0;
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
