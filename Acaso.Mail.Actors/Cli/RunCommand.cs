using Acaso.Mail.Actors.Settings;

namespace Acaso.Mail.Actors.Cli;

/// <summary><c>run</c>: the service itself.</summary>
public static class RunCommand
{
    /// <summary>Runs until SIGTERM or Ctrl+C; returns the exit code.</summary>
    public static Task<int> RunAsync(string[] args, MailSettings settings)
    {
        _ = args;
        _ = settings;
        return Task.FromResult(1);
    }
}
