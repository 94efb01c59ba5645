using System.Diagnostics;

namespace Acaso.Mail.Actors.Tests.Support;

/// <summary>The repository's own files (compose, Prometheus rules, README), and the tools that check them.</summary>
public static class Repository
{
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Acaso.Mail.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("Acaso.Mail.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    /// <summary>Runs a tool to its end; fails with how to install it when it is missing.</summary>
    public static (int Code, string Output) Run(string tool, string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException(
                $"{tool} is not installed: scripts/test.sh installs it (Debian's prometheus package ships prometheus and promtool).", e);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            return (process.ExitCode, output.Result + error.Result);
        }
    }
}
