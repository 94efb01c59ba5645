using System.Globalization;
using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Settings;

namespace Acaso.Mail.Actors.Cli;

/// <summary>
/// <c>publish -n N [--seed S]</c>: the old <c>main_publisher.py</c> in C#. Publishes N random mail requests to
/// <c>QUEUE_SERVICE_URL</c> / <c>MAIL_QUEUE_NAME</c> with the producer's priority, one line per message.
/// </summary>
public static class PublishCommand
{
    /// <summary>Runs the command; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, MailSettings settings, TextWriter stdout, TextWriter stderr)
    {
        var count = 1;
        int? seed = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "-n" or "--count" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0:
                    count = n;
                    i++;
                    break;
                case "--seed" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var s):
                    seed = s;
                    i++;
                    break;
                default:
                    await stderr.WriteLineAsync($"publish: unexpected '{args[i]}'. Usage: publish -n N [--seed S]").ConfigureAwait(false);
                    return 64;
            }
        }

        var random = seed is { } value ? new Random(value) : new Random();
        await using var publisher = await MailPublisher.ConnectAsync(settings.Queue).ConfigureAwait(false);
        var now = DateTimeOffset.UtcNow;
        var quiet = count > 50;
        for (var i = 0; i < count; i++)
        {
            var mail = MentoringMail.Random(random, now, settings.Budget.Zone, i);
            await publisher.PublishAsync(mail, now).ConfigureAwait(false);
            var line = $"published {i + 1}/{count}: template {(int)mail.Template}, priority {MentoringPriority.For(mail.Mentoring, now)}, " +
                       $"mentoring {mail.Mentoring:yyyy-MM-dd HH:mm zzz}, to {mail.RecipientEmail}";
            if (!quiet)
            {
                await stdout.WriteLineAsync(line).ConfigureAwait(false);
            }
            else if ((i + 1) % Math.Max(1, count / 20) == 0 || i + 1 == count)
            {
                var done = (i + 1) * 20 / count;
                await stdout.WriteLineAsync($"[{new string('#', done)}{new string('.', 20 - done)}] {i + 1}/{count}").ConfigureAwait(false);
            }
        }

        await stdout.WriteLineAsync($"published {count} messages to '{settings.Queue.Name}' at {settings.Queue.SafeUrl}").ConfigureAwait(false);
        return 0;
    }
}
