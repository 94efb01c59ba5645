using Acaso.Mail.Actors.Cli;
using Acaso.Mail.Actors.Settings;

namespace Acaso.Mail.Actors;

/// <summary>The entry point: <c>run</c> (the default) starts the service; the other verbs are operators' tools.</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var verb = args.Length == 0 ? "run" : args[0];
        var rest = args.Length == 0 ? [] : args[1..];
        MailSettings settings;
        try
        {
            settings = SettingsLoader.FromEnvironment();
        }
        catch (SettingsException e)
        {
            await Console.Error.WriteLineAsync($"acaso-mail: {e.Message}").ConfigureAwait(false);
            return 78;
        }

        Console.OutputEncoding = System.Text.Encoding.UTF8;
        switch (verb)
        {
            case "run":
                return await RunCommand.RunAsync(rest, settings).ConfigureAwait(false);
            case "preview":
                return PreviewCommand.Run(rest, Console.OpenStandardInput(), Console.Out, Console.Error, settings);
            case "publish":
                return await PublishCommand.RunAsync(rest, settings, Console.Out, Console.Error).ConfigureAwait(false);
            case "simulate":
                return await SimulateCommand.RunAsync(rest, Console.Out, Console.Error).ConfigureAwait(false);
            case "dead-letters":
                return await DeadLettersCommand.RunAsync(rest, settings, Console.Out, Console.Error).ConfigureAwait(false);
            case "help" or "--help" or "-h":
                Console.WriteLine(Usage);
                return 0;
            default:
                await Console.Error.WriteLineAsync($"acaso-mail: unknown command '{verb}'.\n{Usage}").ConfigureAwait(false);
                return 64;
        }
    }

    private const string Usage = """
        Usage: Acaso.Mail.Actors [command]
          run                         start the service (the default)
          preview [--priority N] [--now ISO-8601] < body.json
                                      print the Brevo request a message body becomes, or why it is refused
          publish -n N [--seed S]     publish N random mail requests as Acaso's producer does
          simulate [--mails N] [--daily-limit L] [--per-hour H] [--arrivals uniform|morning-peak|all-at-midnight]
                   [--policy seed|current] [--seed S] [--json] [--chart day.svg]
                                      a whole day of the real actors in virtual time
          dead-letters list [--latest N]
                                      counts by reason and the latest dead letters
          dead-letters replay [--reason R] [--limit N]
                                      move dead letters back to the queue, with their priority and body
        """;
}
