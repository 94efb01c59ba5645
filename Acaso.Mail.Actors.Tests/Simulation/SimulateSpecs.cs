using System.Text.Json;
using Acaso.Mail.Actors.Cli;
using Acaso.Mail.Actors.Simulation;
using Acaso.Mail.Actors.Tests.Support;

namespace Acaso.Mail.Actors.Tests.Simulation;

/// <summary>The simulator: a day of the real actors in virtual time, and the urgent lane's effect measured on it.</summary>
public sealed class SimulateSpecs
{
    [Fact]
    public async Task Simulate_json_should_report_300_sent_and_100_left_for_400_mails()
    {
        var stdout = new StringWriter();
        var (code, output, _) = await CommandLineRun.RunAsync(["simulate", "--mails", "400", "--daily-limit", "300", "--per-hour", "12", "--json"]);
        await stdout.WriteAsync(output);
        Assert.Equal(0, code);
        var json = JsonDocument.Parse(stdout.ToString()).RootElement;
        Assert.Equal(300, json.GetProperty("sent").GetInt32());
        Assert.Equal(100, json.GetProperty("left_in_queue").GetInt32());
        Assert.Equal(0, json.GetProperty("dead_lettered").GetInt32());
        Assert.True(json.GetProperty("urgent_sent_on_time").GetInt32() > 0);
        Assert.True(json.TryGetProperty("urgent_mean_wait_s", out _));
        var windows = json.GetProperty("windows").EnumerateArray().ToList();
        Assert.Equal(25, windows.Count);
        Assert.All(windows, w => Assert.True(w.GetProperty("sent").GetInt32() <= w.GetProperty("granted").GetInt32()));
    }

    [Fact]
    public async Task The_urgent_lane_should_send_urgent_mail_in_seconds_and_spend_what_the_old_policy_spends()
    {
        foreach (var day in new[] { 1, 3 })
        {
            var seed = await DaySimulator.RunAsync(new SimulationOptions(Policy: Policy.Seed, Seed: day));
            var current = await DaySimulator.RunAsync(new SimulationOptions(Policy: Policy.Current, Seed: day));

            Assert.Equal(seed.Sent, current.Sent);
            Assert.Equal(seed.CreditsUsed, current.CreditsUsed);
            Assert.True(current.UrgentMeanWaitSeconds < 15, $"day {day}: urgent mail waited {current.UrgentMeanWaitSeconds} s on average");
            Assert.True(seed.UrgentMeanWaitSeconds > 10 * 60, $"day {day}: the old policy's urgent wait was only {seed.UrgentMeanWaitSeconds} s");
            Assert.True(current.UrgentSentOnTime >= seed.UrgentSentOnTime, $"day {day}: fewer urgent mails on time with the lane");
        }
    }

    [Fact]
    public async Task The_suppression_list_should_spend_one_credit_per_bouncing_address_and_give_the_rest_to_mail_that_arrives()
    {
        var with = await DaySimulator.RunAsync(new SimulationOptions(BounceRate: 0.05, Seed: 2));
        var without = await DaySimulator.RunAsync(new SimulationOptions(BounceRate: 0.05, Seed: 2, Suppression: false));

        Assert.True(without.Bounced > with.Bounced, $"the list saved nothing: {without.Bounced} bounces without it, {with.Bounced} with it");
        Assert.True(with.Suppressed > 0);
        Assert.Equal(0, without.Suppressed);
        // The day spends its 300 credits either way; with the list, fewer of them go to addresses that bounce.
        Assert.Equal(300, with.CreditsUsed);
        Assert.Equal(300, without.CreditsUsed);
        Assert.Equal(with.Sent, without.Sent);
        Assert.Equal(with.Suppressed, with.DeadLettered);
    }

    [Fact]
    public async Task A_day_with_everything_at_midnight_should_send_12_an_hour_and_flush_the_rest()
    {
        var summary = await DaySimulator.RunAsync(new SimulationOptions(Mails: 400, Arrivals: Arrivals.AllAtMidnight, Policy: Policy.Seed));
        Assert.All(summary.Windows.Where(w => w.Kind == "hourly"), w => Assert.Equal(12, w.Sent));
        Assert.Equal(12, summary.Windows.Single(w => w.Kind == "end_of_day").Sent);
        Assert.Equal(300, summary.Sent);
    }

    [Fact]
    public async Task The_chart_should_be_an_svg_with_a_bar_per_busy_hour()
    {
        var path = Path.Combine(Path.GetTempPath(), $"day-{Guid.NewGuid():N}.svg");
        try
        {
            var (code, _, _) = await CommandLineRun.RunAsync(["simulate", "--mails", "100", "--chart", path]);
            Assert.Equal(0, code);
            var svg = File.ReadAllText(path);
            Assert.StartsWith("<svg", svg, StringComparison.Ordinal);
            Assert.Contains("<polyline", svg, StringComparison.Ordinal);
            Assert.True(svg.Split("<rect").Length > 10);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
