using System.Globalization;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Settings;

namespace Acaso.Mail.Actors.Cli;

/// <summary>
/// <c>dead-letters list [--latest N]</c>: counts by reason and the latest entries.
/// <c>dead-letters replay [--reason R] [--limit N]</c>: moves them back to the main queue with their original priority and body.
/// </summary>
public static class DeadLettersCommand
{
    private const string Usage = "Usage: dead-letters list [--latest N] | dead-letters replay [--reason R] [--limit N]";

    /// <summary>Runs the command; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, MailSettings settings, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is not ("list" or "replay"))
        {
            await stderr.WriteLineAsync(Usage).ConfigureAwait(false);
            return 64;
        }

        string? reason = null;
        var limit = int.MaxValue;
        var latest = 20;
        for (var i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--reason" when i + 1 < args.Length:
                    reason = args[++i];
                    break;
                case "--limit" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var l):
                    limit = l;
                    i++;
                    break;
                case "--latest" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n):
                    latest = n;
                    i++;
                    break;
                default:
                    await stderr.WriteLineAsync($"dead-letters: unexpected '{args[i]}'. {Usage}").ConfigureAwait(false);
                    return 64;
            }
        }

        var queue = new DeadLetterQueue(settings.Queue);
        if (args[0] == "replay")
        {
            var moved = await queue.ReplayAsync(reason, limit).ConfigureAwait(false);
            await stdout.WriteLineAsync($"replayed {moved} message(s) from '{settings.Queue.DeadLetterQueue}' to '{settings.Queue.Name}'" +
                                        (reason is null ? "" : $" (reason {reason})")).ConfigureAwait(false);
            return 0;
        }

        var entries = await queue.ListAsync().ConfigureAwait(false);
        await stdout.WriteLineAsync($"{entries.Count} message(s) in '{settings.Queue.DeadLetterQueue}'").ConfigureAwait(false);
        foreach (var group in entries.GroupBy(e => e.Reason).OrderByDescending(g => g.Count()))
        {
            await stdout.WriteLineAsync($"  {group.Count(),6}  {group.Key}").ConfigureAwait(false);
        }

        if (entries.Count > 0)
        {
            await stdout.WriteLineAsync($"latest {Math.Min(latest, entries.Count)}:").ConfigureAwait(false);
            await stdout.WriteLineAsync("  when                  reason               template  priority  recipient").ConfigureAwait(false);
            foreach (var e in entries.TakeLast(latest).Reverse())
            {
                await stdout.WriteLineAsync(
                    $"  {e.At?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "?",-20}  {e.Reason,-19}  {e.Template?.ToString(CultureInfo.InvariantCulture) ?? "-",8}  {e.Priority,8}  {e.Recipient ?? "-"}")
                    .ConfigureAwait(false);
            }
        }

        return 0;
    }
}
