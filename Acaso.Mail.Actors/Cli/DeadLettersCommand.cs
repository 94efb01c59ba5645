using System.CommandLine;
using System.Globalization;
using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue;

namespace Acaso.Mail.Actors.Cli;

/// <summary>
/// <c>dead-letters list [--latest N]</c>: counts by reason and the latest entries.
/// <c>dead-letters replay [--reason R] [--id ID] [--limit N]</c>: moves them back to the main queue with their original priority and body.
/// <c>dead-letters discard ID</c>: removes one for good. The operator console calls the same <see cref="DeadLetterQueue"/>.
/// </summary>
public static class DeadLettersCommand
{
    /// <summary>The verb's declaration, with its two subcommands.</summary>
    public static Command Create(MailConsole console)
    {
        var latest = CliOptions.WholeNumber("--latest", "How many of the latest dead letters to show.", 20);
        var list = new Command("list", "Count the dead letters by reason and show the latest ones (they stay where they are).") { latest };
        list.SetAction((result, cancel) => RunAsync(console, replay: false, reason: null, limit: 0, result.GetValue(latest)));

        var reason = new Option<string?>("--reason") { Description = "Replay only the dead letters of this reason (for example expired)." };
        var limit = CliOptions.WholeNumber("--limit", "Replay at most this many (all by default).", int.MaxValue);
        var id = new Option<string?>("--id") { Description = "Replay only the letter of this id (the last column of list)." };
        var replay = new Command("replay", "Move dead letters back to the queue, with their priority and body, for the service to take again.") { reason, id, limit };
        replay.SetAction((result, cancel) => RunAsync(console, replay: true, result.GetValue(reason), result.GetValue(limit), latest: 0, result.GetValue(id)));

        var discardId = new Argument<string>("id") { Description = "The letter's id (the last column of list)." };
        var discard = new Command("discard", "Remove one dead letter for good: it is not sent.") { discardId };
        discard.SetAction(async (result, cancel) =>
        {
            var settings = console.LoadSettings();
            var letter = result.GetValue(discardId)!;
            if (await new DeadLetterQueue(settings.Queue).DiscardAsync(letter, cancel).ConfigureAwait(false))
            {
                await console.Out.WriteLineAsync($"discarded {letter} from '{settings.Queue.DeadLetterQueue}'").ConfigureAwait(false);
                return ExitCodes.Ok;
            }

            await console.Error.WriteLineAsync($"acaso-mail: no dead letter has the id {letter}").ConfigureAwait(false);
            return ExitCodes.Refused;
        });
        return new Command("dead-letters", "Inspect, replay or discard the dead-letter queue (reads QUEUE_SERVICE_URL, MAIL_QUEUE_NAME).") { list, replay, discard };
    }

    private static async Task<int> RunAsync(MailConsole console, bool replay, string? reason, int limit, int latest, string? id = null)
    {
        var settings = console.LoadSettings();
        var stdout = console.Out;
        var queue = new DeadLetterQueue(settings.Queue);
        if (replay)
        {
            var moved = await queue.ReplayAsync(reason, limit, id).ConfigureAwait(false);
            await stdout.WriteLineAsync($"replayed {moved} message(s) from '{settings.Queue.DeadLetterQueue}' to '{settings.Queue.ReadQueue}'" +
                                        (reason is null ? "" : $" (reason {reason})")).ConfigureAwait(false);
            return ExitCodes.Ok;
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
            await stdout.WriteLineAsync("  when                  reason               template  priority  id            recipient").ConfigureAwait(false);
            foreach (var e in entries.TakeLast(latest).Reverse())
            {
                await stdout.WriteLineAsync(
                    $"  {e.At?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "?",-20}  {e.Reason,-19}  {e.Template?.ToString(CultureInfo.InvariantCulture) ?? "-",8}  {e.Priority,8}  {e.Id,-12}  {e.Recipient ?? "-"}")
                    .ConfigureAwait(false);
            }
        }

        return ExitCodes.Ok;
    }
}
