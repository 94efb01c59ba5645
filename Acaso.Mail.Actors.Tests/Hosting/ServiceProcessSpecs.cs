using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Settings;
using Acaso.Mail.Actors.Tests.Support;

namespace Acaso.Mail.Actors.Tests.Hosting;

/// <summary>
/// The built service as a process, configured only by environment variables, against the real broker and the
/// Brevo stand-in: what an operator runs.
/// </summary>
public sealed class ServiceProcessSpecs : IAsyncLifetime
{
    private const string ApiKey = "xkeysib-PROCESS-SECRET-9b2e";
    private readonly QueueSettings _queue = RabbitBroker.NewQueue("process");
    private readonly Dictionary<int, byte> _priorityOf = [];
    private readonly int _metricsPort = ServiceProcess.FreePort();
    private readonly string _stateDir = Directory.CreateTempSubdirectory("acaso-mail-").FullName;
    private BrevoStandIn _brevo = null!;
    private MailPublisher _publisher = null!;

    public async Task InitializeAsync()
    {
        _brevo = await BrevoStandIn.StartAsync(requiredApiKey: ApiKey);
        _publisher = await RabbitBroker.PublisherAsync(_queue);
    }

    public async Task DisposeAsync()
    {
        await _publisher.DisposeAsync();
        await _brevo.DisposeAsync();
        await RabbitBroker.DeleteAsync(_queue);
        Directory.Delete(_stateDir, recursive: true);
    }

    private Dictionary<string, string> Environment(int perHour) => new()
    {
        ["QUEUE_SERVICE_URL"] = RabbitBroker.Url.ToString(),
        ["MAIL_QUEUE_NAME"] = _queue.Name,
        ["SENDINBLUE_URL"] = _brevo.BaseUrl.ToString(),
        ["SENDINBLUE_API_KEY"] = ApiKey,
        ["SENDINBLUE_MAILS_PER_HOUR"] = perHour.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["MAIL_HOURLY_CRON"] = "0/5 * * * * ?",
        ["MAIL_METRICS_PORT"] = _metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["MAIL_STATE_DIR"] = _stateDir,
    };

    private async Task<string> ScrapeAsync(string path = "/")
    {
        using var http = new HttpClient();
        return await http.GetStringAsync(new Uri($"http://127.0.0.1:{_metricsPort}{path}"));
    }

    internal static double Sample(string metrics, string series) =>
        metrics.Split('\n').Where(l => l.StartsWith(series + " ", StringComparison.Ordinal))
            .Select(l => double.Parse(l[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture))
            .DefaultIfEmpty(0).First();

    internal static async Task Eventually(Func<Task<bool>> condition, TimeSpan timeout, string what, ServiceProcess? service = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for {what}" + (service is null ? "" : "; the service printed:\n" + service.Output));
            }

            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task The_service_should_send_per_hour_mails_each_window_most_urgent_first_and_count_them_at_the_metrics_root()
    {
        var random = new Random(11);
        for (var i = 0; i < 9; i++)
        {
            _priorityOf[i] = (byte)random.Next(1, 201);
            await _publisher.PublishAsync(Mails.Body(i, DateTimeOffset.UtcNow.AddDays(2)), _priorityOf[i]);
        }

        await using var service = ServiceProcess.Start(Environment(perHour: 3));
        await Eventually(async () => { try { return (await ScrapeAsync("/readyz")) == "ready"; } catch (HttpRequestException) { return false; } },
            TimeSpan.FromSeconds(30), "the service to be ready", service);

        // The first window (at most 5 s away) sends exactly the 3 most urgent.
        await Eventually(() => Task.FromResult(_brevo.Delivered.Count >= 3), TimeSpan.FromSeconds(20), "the first window");
        await Task.Delay(1000);
        var ranked = _priorityOf.OrderByDescending(kv => kv.Value).Select(kv => kv.Key).ToList();
        Assert.Equal(ranked.Take(3).Order(), _brevo.Delivered.Take(3).Select(Mails.IndexOf).Order());

        // Three windows drain the queue; then the count at / equals what Brevo received.
        await Eventually(() => Task.FromResult(_brevo.Delivered.Count == 9), TimeSpan.FromSeconds(30), "three windows");
        Assert.Equal(ranked.Skip(3).Take(3).Order(), _brevo.Delivered.Skip(3).Take(3).Select(Mails.IndexOf).Order());
        await Eventually(async () => Sample(await ScrapeAsync("/"), "mails_sent_total") == 9, TimeSpan.FromSeconds(10), "mails_sent_total at /");
        var metrics = await ScrapeAsync("/metrics");
        Assert.Equal(9, Sample(metrics, "mails_sent_total"));
        Assert.Equal(0, Sample(metrics, "mails_fails_total"));
        Assert.Equal("ok", await ScrapeAsync("/healthz"));

        service.Terminate();
        Assert.True(await service.WaitForExitAsync(TimeSpan.FromSeconds(30)), "SIGTERM did not stop the service\n" + service.Output);
        Assert.Equal(0, service.ExitCode);
        Assert.DoesNotContain(ApiKey, service.Output, StringComparison.Ordinal);
        Assert.Equal(0u, await RabbitBroker.ReadyAsync(_queue.Name));
    }

    [Fact]
    public async Task A_bad_setting_should_stop_the_start_naming_the_variable()
    {
        var environment = Environment(perHour: 3);
        environment["MAIL_DAILY_LIMIT"] = "plenty";
        await using var service = ServiceProcess.Start(environment);
        Assert.True(await service.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.NotEqual(0, service.ExitCode);
        Assert.Contains("MAIL_DAILY_LIMIT='plenty' is not valid: it accepts a whole number", service.Output, StringComparison.Ordinal);
    }
}
