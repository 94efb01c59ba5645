using System.CommandLine;
using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue;

namespace Acaso.Mail.Actors.Cli;

/// <summary>
/// <c>publish</c>: the old <c>main_publisher.py</c> in C#, kept on purpose so a newcomer can feed a local service.
/// Publishes N random mail requests to <c>QUEUE_SERVICE_URL</c> / <c>MAIL_QUEUE_NAME</c> with the producer's
/// priority, one line per message (a progress bar past 50).
/// </summary>
public static class PublishCommand
{
    /// <summary>The verb's declaration.</summary>
    public static Command Create(MailConsole console)
    {
        var count = CliOptions.WholeNumber("--count", "How many mail requests to publish.", 1, min: 1, "-n");
        var seed = new Option<int?>("--seed") { Description = "The random seed: the same seed publishes the same mail." };
        var command = new Command("publish", "Publish random mail requests as Acaso's producer does (reads QUEUE_SERVICE_URL, MAIL_QUEUE_NAME).")
        {
            count, seed,
        };
        command.SetAction((result, cancel) => RunAsync(console, result.GetValue(count), result.GetValue(seed), cancel));
        return command;
    }

    private static async Task<int> RunAsync(MailConsole console, int count, int? seed, CancellationToken cancellationToken)
    {
        var settings = console.LoadSettings();
        var random = seed is { } value ? new Random(value) : new Random();
        await using var publisher = await MailPublisher.ConnectAsync(settings.Queue, cancellationToken).ConfigureAwait(false);
        var now = DateTimeOffset.UtcNow;
        var quiet = count > 50;
        for (var i = 0; i < count; i++)
        {
            var mail = RandomMail.Next(random, now, settings.Budget.Zone, i);
            await publisher.PublishAsync(mail, now, cancellationToken).ConfigureAwait(false);
            if (!quiet)
            {
                await console.Out.WriteLineAsync($"published {i + 1}/{count}: template {(int)mail.Template}, priority {MentoringPriority.For(mail.Mentoring, now)}, " +
                                                 $"mentoring {mail.Mentoring:yyyy-MM-dd HH:mm zzz}").ConfigureAwait(false);
            }
            else if ((i + 1) % Math.Max(1, count / 20) == 0 || i + 1 == count)
            {
                var done = (i + 1) * 20 / count;
                await console.Out.WriteLineAsync($"[{new string('#', done)}{new string('.', 20 - done)}] {i + 1}/{count}").ConfigureAwait(false);
            }
        }

        await console.Out.WriteLineAsync($"published {count} messages to '{settings.Queue.Name}' at {settings.Queue.SafeUrl}").ConfigureAwait(false);
        return ExitCodes.Ok;
    }
}

/// <summary>
/// A random mail like the old <c>main_publisher.py</c> made: any template, a mentoring 0 to 10 days ahead. The names
/// are placeholders (<c>Mentor 12</c>) and the address is on example.org: no personal data, real or invented.
/// </summary>
public static class RandomMail
{
    /// <summary>The <paramref name="index"/>th random mail at <paramref name="now"/>.</summary>
    public static MentoringMail Next(Random random, DateTimeOffset now, TimeZoneInfo zone, int index)
    {
        var templates = Enum.GetValues<MailTemplate>();
        var template = templates[random.Next(templates.Length)];
        var mentoring = TimeZoneInfo.ConvertTime(now, zone).AddDays(random.Next(0, 11)).AddMinutes(random.Next(30, 24 * 60));
        var mentor = $"Mentor {random.Next(1000)}";
        var mentored = $"Mentee {random.Next(1000)}";
        var toMentor = template is MailTemplate.ConfirmationToMentor or MailTemplate.NotifyMentorOfMentoredLeaving;
        return new MentoringMail(template, mentor, mentored,
            random.Next(2) == 0 ? null : Guid.NewGuid().ToString(),
            random.Next(2) == 0 ? null : Guid.NewGuid().ToString(),
            mentoring,
            toMentor ? mentor : mentored,
            $"user{now:yyyy}-{index}@example.org");
    }
}
