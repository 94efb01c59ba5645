using Acaso.Mail.Actors.Tests.Support;

namespace Acaso.Mail.Actors.Tests.House;

/// <summary>The shipped Prometheus config and alerts, checked and unit-tested by promtool.</summary>
public sealed class PrometheusRulesSpecs
{
    private static readonly string Folder = Repository.PathOf("prometheus");

    [Fact]
    public void The_prometheus_config_should_be_valid()
    {
        var (code, output) = Repository.Run("promtool", Folder, "check", "config", "prometheus.yml");
        Assert.True(code == 0, output);
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_alert_rules_should_be_valid()
    {
        var (code, output) = Repository.Run("promtool", Folder, "check", "rules", "alerts.yml");
        Assert.True(code == 0, output);
        Assert.Contains("SUCCESS: 9 rules found", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_alert_should_pass_its_firing_and_not_firing_unit_tests()
    {
        var (code, output) = Repository.Run("promtool", Folder, "test", "rules", "alerts.test.yml");
        Assert.True(code == 0, output);
        var tests = File.ReadAllText(Path.Combine(Folder, "alerts.test.yml"));
        foreach (var alert in new[] { "UrgentMailFailing", "BudgetExhaustedWhileUrgentMailWaits", "DeadLettersGrowing", "BrevoUnreachable", "MailServiceDown", "MailServiceNotReady", "MailDatabaseDown", "MailHardBounceRateHigh", "MailSpamComplaint" })
        {
            // Each alert has at least one case that fires and one that must not.
            var cases = tests.Split("alertname: " + alert).Skip(1).Select(c => c.Split("alertname:")[0]).ToList();
            Assert.Contains(cases, c => c.Contains("exp_alerts: []", StringComparison.Ordinal));
            Assert.Contains(cases, c => c.Contains("exp_labels:", StringComparison.Ordinal));
        }
    }
}
