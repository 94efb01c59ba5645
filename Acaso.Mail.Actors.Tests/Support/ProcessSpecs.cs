using System.Globalization;
using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Settings;

namespace Acaso.Mail.Actors.Tests.Support;

/// <summary>
/// What every spec of the built service as a process needs: a queue of its own on the real broker, a Brevo stand-in
/// that insists on the spec's API key, a metrics port, a state folder, and the environment that points the service at them.
/// </summary>
public abstract class ProcessSpecs(string apiKey, string queuePrefix) : IAsyncLifetime
{
    protected string ApiKey { get; } = apiKey;

    protected QueueSettings Queue { get; } = RabbitBroker.NewQueue(queuePrefix);

    protected int MetricsPort { get; } = ServiceProcess.FreePort();

    protected string StateDir { get; } = Directory.CreateTempSubdirectory("acaso-mail-").FullName;

    protected BrevoStandIn Brevo { get; private set; } = null!;

    protected MailPublisher Publisher { get; set; } = null!;

    /// <summary>The credits the stand-in's free plan starts the day with.</summary>
    protected virtual int BrevoCredits => 300;

    public virtual async Task InitializeAsync()
    {
        Brevo = await BrevoStandIn.StartAsync(requiredApiKey: ApiKey, credits: BrevoCredits);
        Publisher = await RabbitBroker.PublisherAsync(Queue);
    }

    public virtual async Task DisposeAsync()
    {
        await Publisher.DisposeAsync();
        await Brevo.DisposeAsync();
        await RabbitBroker.DeleteAsync(Queue);
        Directory.Delete(StateDir, recursive: true);
    }

    /// <summary>Runs the command line in-process (<c>history</c>, <c>suppressions</c> …) on this spec's state folder.</summary>
    protected Task<(int Code, string Out, string Error)> CliAsync(params string[] args) =>
        CommandLineRun.RunAsync(args, new Dictionary<string, string> { ["MAIL_STATE_DIR"] = StateDir });

    /// <summary>The service's environment: this spec's broker queue, Brevo, port and state, windows every two seconds by default.</summary>
    protected Dictionary<string, string> Environment(int perHour, int dailyLimit = 300, string hourlyCron = "0/2 * * * * ?") => new()
    {
        ["QUEUE_SERVICE_URL"] = RabbitBroker.Url.ToString(),
        ["MAIL_QUEUE_NAME"] = Queue.Name,
        ["SENDINBLUE_URL"] = Brevo.BaseUrl.ToString(),
        ["SENDINBLUE_API_KEY"] = ApiKey,
        ["SENDINBLUE_MAILS_PER_HOUR"] = perHour.ToString(CultureInfo.InvariantCulture),
        ["MAIL_DAILY_LIMIT"] = dailyLimit.ToString(CultureInfo.InvariantCulture),
        ["MAIL_HOURLY_CRON"] = hourlyCron,
        ["MAIL_METRICS_PORT"] = MetricsPort.ToString(CultureInfo.InvariantCulture),
        ["MAIL_STATE_DIR"] = StateDir,
    };

    /// <summary>GETs a path of the service's metrics port.</summary>
    protected async Task<string> ScrapeAsync(string path = "/")
    {
        using var http = new HttpClient();
        return await http.GetStringAsync(new Uri($"http://127.0.0.1:{MetricsPort}{path}"));
    }

    /// <summary>One series at <c>/metrics</c>, or -1 while nothing listens.</summary>
    protected async Task<double> MetricAsync(string series)
    {
        try
        {
            return ProcessAssertions.Sample(await ScrapeAsync("/metrics"), series);
        }
        catch (HttpRequestException)
        {
            return -1;
        }
    }

    /// <summary>
    /// Waits until the broker holds no message of the producer's queue or the inbox, ready or unacknowledged: every mail
    /// has reached its end, so none can be sent again after the spec counts what Brevo received.
    /// </summary>
    protected Task EveryMailAckedAsync(ServiceProcess? service = null) =>
        ProcessAssertions.Eventually(() => RabbitBroker.EveryMessageAckedAsync(Queue.Name, Queue.Inbox), TimeSpan.FromSeconds(30),
            "the broker to hold no mail, ready or unacknowledged", service);

    /// <summary>The HTTP status and body of a path of the service's metrics port, or 0 while nothing listens.</summary>
    protected async Task<(int Code, string Body)> GetAsync(string path)
    {
        using var http = new HttpClient();
        try
        {
            using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{MetricsPort}{path}"));
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        catch (HttpRequestException)
        {
            return (0, "");
        }
    }

    /// <summary>The HTTP status of <c>/readyz</c>, or 0 while nothing listens.</summary>
    protected async Task<int> ReadyStatusAsync() => (await GetAsync("/readyz")).Code;
}
