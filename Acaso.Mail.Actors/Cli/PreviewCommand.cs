using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Settings;

namespace Acaso.Mail.Actors.Cli;

/// <summary>
/// <c>preview [--priority N] [--now ISO-8601]</c>: reads one message body from stdin and prints the Brevo request it
/// becomes (exit 0) or why it is refused (exit 2). No broker, no API key, no network: the same parse and render
/// code the service runs.
/// </summary>
public static class PreviewCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Runs the command; returns the exit code.</summary>
    public static int Run(string[] args, Stream stdin, TextWriter stdout, TextWriter stderr, MailSettings settings)
    {
        byte priority = 0;
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--priority" when i + 1 < args.Length && byte.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var p):
                    priority = p;
                    i++;
                    break;
                case "--now" when i + 1 < args.Length && MentoringDateTime.TryParse(args[i + 1], out var n):
                    now = n;
                    i++;
                    break;
                default:
                    stderr.WriteLine($"preview: unexpected '{args[i]}'. Usage: preview [--priority 0..255] [--now ISO-8601] < body.json");
                    return 64;
            }
        }

        using var buffer = new MemoryStream();
        stdin.CopyTo(buffer);
        var result = MailRequestParser.Parse(buffer.ToArray(), priority, now, settings.Contract);
        if (result.Request is { } request)
        {
            stdout.WriteLine(System.Text.Encoding.UTF8.GetString(BrevoRequestRenderer.Render(request, settings.Render)));
            return 0;
        }

        var rejection = result.Rejection!;
        stdout.WriteLine(JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["rejected"] = rejection.Reason,
            ["detail"] = rejection.Detail,
        }, JsonOptions));
        return 2;
    }
}
