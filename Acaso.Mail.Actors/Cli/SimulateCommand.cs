using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Acaso.Mail.Actors.Simulation;

namespace Acaso.Mail.Actors.Cli;

/// <summary><c>simulate</c>: a whole day of the real actors in virtual time, on the embedded defaults and the options given.</summary>
public static class SimulateCommand
{
    /// <summary>The verb's declaration.</summary>
    public static Command Create(MailConsole console)
    {
        var defaults = new SimulationOptions();
        var mails = CliOptions.WholeNumber("--mails", "Mails published over the day.", defaults.Mails);
        var dailyLimit = CliOptions.WholeNumber("--daily-limit", "The daily limit.", defaults.DailyLimit, min: 1);
        var perHour = CliOptions.WholeNumber("--per-hour", "Tokens per hourly window.", defaults.PerHour);
        var seed = CliOptions.WholeNumber("--seed", "The random seed: the same seed gives the same day.", defaults.Seed, min: int.MinValue);
        var urgentPriority = CliOptions.WholeNumber("--urgent-priority", "The urgent lane's threshold (256: no mail is urgent).", defaults.UrgentPriority);
        var arrivals = CliOptions.Choice("--arrivals", "When mail arrives: morning-peak (60% between 07:00 and 11:00), uniform or all-at-midnight.",
            "morning-peak", "uniform", "morning-peak", "all-at-midnight");
        var policy = CliOptions.Choice("--policy", "current (windows and the urgent lane) or seed (the old consumer: windows only).",
            "current", "seed", "current");
        var bounceRate = new Option<double>("--bounce-rate")
        {
            Description = "The share of addresses that bounce hard (0 to 1). Above 0, addresses repeat (a pool of a quarter as many as mails) and the suppression list is at work.",
            DefaultValueFactory = _ => 0,
        };
        bounceRate.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && double.TryParse(result.Tokens[0].Value, CultureInfo.InvariantCulture, out var rate) && rate is < 0 or > 1)
            {
                result.AddError("--bounce-rate takes a share from 0 to 1, such as 0.05");
            }
        });
        var suppression = CliOptions.Choice("--suppression",
            "on: bounced addresses go on the suppression list; off: they do not (to see what the list saves).", "on", "on", "off");

        var json = new Option<bool>("--json") { Description = "Print the summary as one JSON object." };
        var chart = new Option<FileInfo?>("--chart") { Description = "Also draw the day as an SVG chart into this file." };
        var command = new Command("simulate", "Run a whole day of the real actors in virtual time and print what it sent, window by window.")
        {
            mails, dailyLimit, perHour, arrivals, policy, seed, urgentPriority, bounceRate, suppression, json, chart,
        };
        command.SetAction(result => RunAsync(console, new SimulationOptions(result.GetValue(mails), result.GetValue(dailyLimit), result.GetValue(perHour),
            result.GetValue(arrivals) switch { "uniform" => Arrivals.Uniform, "all-at-midnight" => Arrivals.AllAtMidnight, _ => Arrivals.MorningPeak },
            result.GetValue(policy) == "seed" ? Policy.Seed : Policy.Current, result.GetValue(seed), result.GetValue(urgentPriority),
            result.GetValue(bounceRate), result.GetValue(suppression) == "on"),
            result.GetValue(json), result.GetValue(chart)?.FullName));
        return command;
    }

    private static async Task<int> RunAsync(MailConsole console, SimulationOptions options, bool json, string? chart)
    {
        var stdout = console.Out;
        var summary = await DaySimulator.RunAsync(options).ConfigureAwait(false);
        if (chart is not null)
        {
            await File.WriteAllTextAsync(chart, DayChart.Svg(summary, options)).ConfigureAwait(false);
        }

        if (json)
        {
            await stdout.WriteLineAsync(JsonSerializer.Serialize(new
            {
                policy = options.Policy.ToString().ToLowerInvariant(),
                published = summary.Published,
                sent = summary.Sent,
                left_in_queue = summary.LeftInQueue,
                dead_lettered = summary.DeadLettered,
                credits_used = summary.CreditsUsed,
                urgent = summary.Urgent,
                urgent_sent = summary.UrgentSent,
                urgent_sent_on_time = summary.UrgentSentOnTime,
                urgent_mean_wait_s = summary.UrgentMeanWaitSeconds,
                bounced = summary.Bounced,
                suppressed = summary.Suppressed,
                windows = summary.Windows.Select(w => new
                {
                    hour = w.Hour, kind = w.Kind, granted = w.Granted, sent = w.Sent, max_priority = w.MaxPriority, min_priority = w.MinPriority,
                }),
            })).ConfigureAwait(false);
            return ExitCodes.Ok;
        }

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"A simulated day: {options.Mails} mails ({options.Arrivals}), limit {options.DailyLimit}, {options.PerHour} an hour, policy {options.Policy.ToString().ToLowerInvariant()}, seed {options.Seed}");
        text.AppendLine("window        granted  sent  priorities  left today");
        foreach (var w in summary.Windows)
        {
            var range = w.MaxPriority is null ? "-" : $"{w.MinPriority}-{w.MaxPriority}";
            text.AppendLine(CultureInfo.InvariantCulture, $"{(w.Kind == "hourly" ? $"{w.Hour:00}:00" : "23:05 flush"),-12}  {w.Granted,7}  {w.Sent,4}  {range,10}  {w.LeftToday,10}");
        }

        var early = summary.Sends.Count - summary.Windows.Sum(w => w.Sent);
        text.AppendLine(CultureInfo.InvariantCulture, $"between windows (urgent lane and unused window tokens): {early}");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"sent {summary.Sent}, left in queue {summary.LeftInQueue}, dead-lettered {summary.DeadLettered}, credits used {summary.CreditsUsed}");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"urgent (priority >= {options.UrgentPriority}): {summary.Urgent} published, {summary.UrgentSent} sent, {summary.UrgentSentOnTime} before their mentoring, mean wait {summary.UrgentMeanWaitSeconds} s");
        if (options.BounceRate > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"bounces ({options.BounceRate:P0} of addresses): {summary.Bounced} mails bounced (a credit each), {summary.Suppressed} stopped by the suppression list ({(options.Suppression ? "on" : "off")})");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"({summary.RealSeconds} s of real time)");
        await stdout.WriteAsync(text.ToString()).ConfigureAwait(false);
        return ExitCodes.Ok;
    }
}
