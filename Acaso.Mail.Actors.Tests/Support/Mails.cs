using System.Text;
using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue;

namespace Acaso.Mail.Actors.Tests.Support;

/// <summary>Test mail: bodies the producer would publish, with a recognisable recipient per index.</summary>
public static class Mails
{
    public static readonly TimeZoneInfo Recife = TimeZoneInfo.FindSystemTimeZoneById("America/Recife");

    /// <summary>The contract's rendering: dates in America/Recife.</summary>
    public static readonly Acaso.Mail.Actors.Contract.RenderOptions Render = new(Recife);

    /// <summary>A valid body for a mentoring at <paramref name="mentoring"/>, to <c>mail-{index}@example.org</c>.</summary>
    public static byte[] Body(int index, DateTimeOffset mentoring, MailTemplate template = MailTemplate.ConfirmationToMentor) =>
        new MentoringMail(template, "Dr. Daniel Dias", "Ana Beatriz", null, "6f1c", TimeZoneInfo.ConvertTime(mentoring, Recife),
            "Ana Beatriz", $"mail-{index}@example.org").ToBody();

    /// <summary>The index of the recipient a captured request went to.</summary>
    public static int IndexOf(Acaso.Mail.Actors.Brevo.CapturedMail mail)
    {
        var email = mail.Json.GetProperty("to")[0].GetProperty("email").GetString()!;
        return int.Parse(email["mail-".Length..email.IndexOf('@')], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The index of the recipient a published body (as <see cref="Body"/> wrote it) goes to.</summary>
    public static int IndexOf(ReadOnlySpan<byte> body)
    {
        var text = Encoding.UTF8.GetString(body);
        var at = text.IndexOf("mail-", StringComparison.Ordinal) + "mail-".Length;
        return int.Parse(text[at..text.IndexOf('@', at)], System.Globalization.CultureInfo.InvariantCulture);
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}

/// <summary>Runs the command line in-process, as the binary would, with a given environment and standard input.</summary>
public static class CommandLineRun
{
    /// <summary>Runs <paramref name="args"/>; returns the exit code and what went to standard output and error.</summary>
    public static async Task<(int Code, string Out, string Error)> RunAsync(string[] args, IReadOnlyDictionary<string, string>? environment = null,
        string stdin = "")
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var console = new Acaso.Mail.Actors.Cli.MailConsole(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(stdin)), stdout, stderr,
            name => environment is not null && environment.TryGetValue(name, out var value) ? value : null);
        var code = await Acaso.Mail.Actors.Cli.MailCommandLine.RunAsync(args, console);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
