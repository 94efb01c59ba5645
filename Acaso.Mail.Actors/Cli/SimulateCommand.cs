using System.Globalization;
using System.Text;
using System.Text.Json;
using Acaso.Mail.Actors.Simulation;

namespace Acaso.Mail.Actors.Cli;

/// <summary>
/// <c>simulate --mails N --daily-limit L --per-hour H [--arrivals uniform|morning-peak|all-at-midnight]
/// [--policy seed|current] [--seed S] [--json] [--chart day.svg]</c>: a whole day of the real actors in virtual time.
/// </summary>
public static class SimulateCommand
{
    private const string Usage =
        "Usage: simulate [--mails N] [--daily-limit L] [--per-hour H] [--arrivals uniform|morning-peak|all-at-midnight] " +
        "[--policy seed|current] [--seed S] [--urgent-priority P] [--json] [--chart day.svg]";

    /// <summary>Runs the command; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var options = new SimulationOptions();
        var json = false;
        string? chart = null;
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int() => int.TryParse(Next(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= 0
                ? v
                : throw new ArgumentException($"{args[i - 1]} takes a whole number");
            try
            {
                switch (args[i])
                {
                    case "--mails": options = options with { Mails = Int() }; break;
                    case "--daily-limit": options = options with { DailyLimit = Math.Max(1, Int()) }; break;
                    case "--per-hour": options = options with { PerHour = Int() }; break;
                    case "--seed": options = options with { Seed = Int() }; break;
                    case "--urgent-priority": options = options with { UrgentPriority = Int() }; break;
                    case "--arrivals":
                        options = options with
                        {
                            Arrivals = Next() switch
                            {
                                "uniform" => Arrivals.Uniform,
                                "morning-peak" => Arrivals.MorningPeak,
                                "all-at-midnight" => Arrivals.AllAtMidnight,
                                var other => throw new ArgumentException($"--arrivals takes uniform, morning-peak or all-at-midnight, not '{other}'"),
                            },
                        };
                        break;
                    case "--policy":
                        options = options with
                        {
                            Policy = Next() switch
                            {
                                "seed" => Policy.Seed,
                                "current" => Policy.Current,
                                var other => throw new ArgumentException($"--policy takes seed or current, not '{other}'"),
                            },
                        };
                        break;
                    case "--json": json = true; break;
                    case "--chart": chart = Next(); break;
                    default: throw new ArgumentException($"unexpected '{args[i]}'");
                }
            }
            catch (ArgumentException e)
            {
                await stderr.WriteLineAsync($"simulate: {e.Message}. {Usage}").ConfigureAwait(false);
                return 64;
            }
        }

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
                windows = summary.Windows.Select(w => new
                {
                    hour = w.Hour, kind = w.Kind, granted = w.Granted, sent = w.Sent, max_priority = w.MaxPriority, min_priority = w.MinPriority,
                }),
            })).ConfigureAwait(false);
            return 0;
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
        text.AppendLine(CultureInfo.InvariantCulture, $"({summary.RealSeconds} s of real time)");
        await stdout.WriteAsync(text.ToString()).ConfigureAwait(false);
        return 0;
    }
}
