using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Settings;
using Acaso.Mail.Actors.Tests.Hosting;
using Acaso.Mail.Actors.Tests.Support;
using static Acaso.Mail.Actors.Tests.Support.ProcessAssertions;

namespace Acaso.Mail.Actors.Tests.Metrics;

/// <summary>A real scrape: Debian's Prometheus scrapes the running service at <c>/</c>, and its query API agrees with the Brevo stand-in.</summary>
[Trait("Loop", "Full")]
public sealed class PrometheusScrapeSpecs() : ProcessSpecs("xkeysib-scrape", "scrape")
{
    private readonly int _prometheusPort = ServiceProcess.FreePort();
    private readonly string _prometheusDir = Directory.CreateTempSubdirectory("acaso-prometheus-").FullName;
    private Process? _prometheus;

    public override async Task DisposeAsync()
    {
        if (_prometheus is { HasExited: false })
        {
            _prometheus.Kill(entireProcessTree: true);
            await _prometheus.WaitForExitAsync();
        }

        _prometheus?.Dispose();
        await base.DisposeAsync();
        Directory.Delete(_prometheusDir, recursive: true);
    }

    private void StartPrometheus()
    {
        var config = Path.Combine(_prometheusDir, "prometheus.yml");
        File.WriteAllText(config, $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: 'monitoring'
                metrics_path: '/'
                static_configs:
                  - targets: ['127.0.0.1:{MetricsPort}']
            """);
        var info = new ProcessStartInfo("prometheus") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
                 {
                     $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(_prometheusDir, "data")}",
                     $"--web.listen-address=127.0.0.1:{_prometheusPort}",
                 })
        {
            info.ArgumentList.Add(arg);
        }

        try
        {
            _prometheus = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("prometheus is not installed: scripts/test.sh installs Debian's prometheus package.", e);
        }

        _prometheus.OutputDataReceived += (_, _) => { };
        _prometheus.ErrorDataReceived += (_, _) => { };
        _prometheus.BeginOutputReadLine();
        _prometheus.BeginErrorReadLine();
    }

    private async Task<double?> QueryAsync(HttpClient http, string query)
    {
        try
        {
            var json = JsonDocument.Parse(await http.GetStringAsync(
                new Uri($"http://127.0.0.1:{_prometheusPort}/api/v1/query?query={Uri.EscapeDataString(query)}"))).RootElement;
            var result = json.GetProperty("data").GetProperty("result");
            return result.GetArrayLength() == 0
                ? null
                : double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    [Fact]
    public async Task Prometheus_should_scrape_mails_sent_total_equal_to_what_Brevo_received()
    {
        for (var i = 0; i < 7; i++)
        {
            await Publisher.PublishAsync(Mails.Body(i, DateTimeOffset.UtcNow.AddDays(3)), (byte)(150 + i));
        }

        var environment = Environment(perHour: 5);
        await using var service = ServiceProcess.Start(environment);
        StartPrometheus();
        using var http = new HttpClient();

        await Eventually(() => Task.FromResult(Brevo.Delivered.Count == 7), TimeSpan.FromSeconds(60), "seven sends", service);
        await Eventually(async () => await QueryAsync(http, "mails_sent_total{job=\"monitoring\"}") == Brevo.Delivered.Count,
            TimeSpan.FromSeconds(60), "Prometheus to scrape mails_sent_total = 7", service);
        Assert.Equal(1, await QueryAsync(http, "up{job=\"monitoring\"}"));
        Assert.Equal(0, await QueryAsync(http, "mails_fails_total"));
        Assert.Equal(7, await QueryAsync(http, "sum(payload_template_total)"));
    }
}
