using Acaso.Mail.Actors.Cli;

namespace Acaso.Mail.Actors;

/// <summary>The entry point: <c>run</c> (the default) starts the service; the other verbs are operators' tools (see <see cref="MailCommandLine"/>).</summary>
public static class Program
{
    public static Task<int> Main(string[] args)
    {
        Console.OutputEncoding = System.Text.Encoding.UTF8;
        return MailCommandLine.RunAsync(args, MailConsole.Process());
    }
}
