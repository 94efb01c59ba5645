using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Settings;

namespace Acaso.Mail.Actors.Cli;

/// <summary>
/// <c>preview</c>: reads one message body from standard input and prints the Brevo request it becomes (exit 0) or why
/// it is refused (exit 2). No broker, no API key, no network, no <c>MAIL_*</c> setting: the same parse and render code
/// the service runs, on the embedded defaults and the options given.
/// </summary>
public static class PreviewCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The verb's declaration.</summary>
    public static Command Create(MailConsole console)
    {
        var defaults = SettingsLoader.Defaults;
        var priority = new Option<byte>("--priority") { Description = "The AMQP priority the message carries (0..255; 0: none).", DefaultValueFactory = _ => 0 };
        var now = new Option<DateTimeOffset>("--now")
        {
            Description = "The instant to judge expiry at (ISO 8601 or Python's str(datetime)); now by default.",
            DefaultValueFactory = _ => DateTimeOffset.UtcNow,
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                if (MentoringDateTime.TryParse(text, out var instant))
                {
                    return instant;
                }

                result.AddError($"--now takes an instant such as 2026-11-27T21:55:57-03:00, not '{text}'");
                return default;
            },
        };
        var zone = new Option<string>("--timezone")
        {
            Description = $"The IANA zone dates are shown in ({defaults.Budget.Zone.Id} by default, as the service's MAIL_TIMEZONE).",
            DefaultValueFactory = _ => defaults.Budget.Zone.Id,
            Validators =
            {
                result =>
                {
                    if (result.Tokens.Count == 1 && result.Tokens[0].Value is var id && !TimeZoneInfo.TryFindSystemTimeZoneById(id, out _))
                    {
                        result.AddError($"--timezone takes an IANA zone id such as America/Recife or UTC, not '{id}'");
                    }
                },
            },
        };
        var command = new Command("preview", "Print the Brevo request a message body (on standard input) becomes, or why it is refused (exit 2).")
        {
            priority, now, zone,
        };
        command.SetAction(result => Run(console, result.GetValue(priority), result.GetValue(now),
            TimeZoneInfo.FindSystemTimeZoneById(result.GetValue(zone)!), defaults));
        return command;
    }

    private static int Run(MailConsole console, byte priority, DateTimeOffset now, TimeZoneInfo zone, MailSettings defaults)
    {
        using var buffer = new MemoryStream();
        console.In.CopyTo(buffer);
        var result = MailRequestParser.Parse(buffer.ToArray(), priority, now, defaults.Contract);
        if (result.Request is { } request)
        {
            console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(BrevoRequestRenderer.Render(request, defaults.Render with { Zone = zone })));
            return ExitCodes.Ok;
        }

        var rejection = result.Rejection!;
        console.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["rejected"] = rejection.Reason,
            ["detail"] = rejection.Detail,
        }, JsonOptions));
        return ExitCodes.Refused;
    }
}
