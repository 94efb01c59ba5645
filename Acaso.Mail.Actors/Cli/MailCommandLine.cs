using System.CommandLine;
using Acaso.Mail.Actors.Settings;

namespace Acaso.Mail.Actors.Cli;

/// <summary>
/// The command line on System.CommandLine: every verb and option is declared once, in its verb's file, and help and
/// parse errors come from those declarations. No verb but <c>run</c>, <c>publish</c>, <c>dead-letters</c>, <c>suppressions</c> and <c>history</c> reads the
/// <c>MAIL_*</c> settings, so <c>help</c>, <c>preview</c> and <c>simulate</c> work whatever they say.
/// </summary>
public static class MailCommandLine
{
    /// <summary>The root command with every verb; <c>run</c> is also what no verb at all means.</summary>
    public static RootCommand Build(MailConsole console)
    {
        var run = RunCommand.Create(console);
        var root = new RootCommand("Acaso Mail: sends Acaso's mail requests from RabbitMQ through Brevo, the most urgent first, within a daily budget.")
        {
            run,
            PreviewCommand.Create(console),
            PublishCommand.Create(console),
            SimulateCommand.Create(console),
            DeadLettersCommand.Create(console),
            SuppressionsCommand.Create(console),
            SuppressionsCommand.CreateHistory(console),
        };
        var help = new Command("help", "Show this help (the same as --help).");
        help.SetAction(_ => root.Parse("--help").Invoke(new InvocationConfiguration { Output = console.Out, Error = console.Error }));
        root.Subcommands.Add(help);
        root.SetAction((_, cancel) => RunCommand.RunAsync(console, cancel));
        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>; returns the exit code (64 when they do not parse).</summary>
    public static async Task<int> RunAsync(string[] args, MailConsole console)
    {
        var parsed = Build(console).Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await console.Error.WriteLineAsync($"acaso-mail: {error.Message}").ConfigureAwait(false);
            }

            var path = new List<string>();
            for (var command = parsed.CommandResult; command is not null; command = command.Parent as System.CommandLine.Parsing.CommandResult)
            {
                path.Insert(0, command.Command is RootCommand ? "Acaso.Mail.Actors" : command.Command.Name);
            }

            await console.Error.WriteLineAsync($"Try '{string.Join(' ', path)} --help'.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        try
        {
            return await parsed.InvokeAsync(Invocation(console)).ConfigureAwait(false);
        }
        catch (SettingsException e)
        {
            await console.Error.WriteLineAsync($"acaso-mail: {e.Message}").ConfigureAwait(false);
            return ExitCodes.BadSettings;
        }
    }

    private static InvocationConfiguration Invocation(MailConsole console) =>
        new() { Output = console.Out, Error = console.Error, EnableDefaultExceptionHandler = false };
}
