using System.Reflection;

namespace Acaso.Mail.Actors.Hosting;

/// <summary>
/// Which build is running: the version of <c>Directory.Build.props</c> and the git commit it was built from, as the
/// SDK stamps them into the assembly's informational version (<c>1.4.0+&lt;commit&gt;</c>; a build outside a git
/// checkout, such as the Docker image's, takes the commit from <c>-p:SourceRevisionId=…</c>, else says <c>unknown</c>).
/// </summary>
public static class BuildInfo
{
    static BuildInfo()
    {
        var stamped = typeof(BuildInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var plus = stamped.IndexOf('+', StringComparison.Ordinal);
        Version = plus < 0 ? stamped : stamped[..plus];
        Commit = plus < 0 || plus == stamped.Length - 1 ? "unknown" : stamped[(plus + 1)..];
    }

    /// <summary>The version, such as <c>1.4.0</c>.</summary>
    public static string Version { get; }

    /// <summary>The full commit id the build came from, or <c>unknown</c>.</summary>
    public static string Commit { get; }

    /// <summary>What the first log line and <c>--version</c> say: <c>Acaso Mail 1.4.0 (commit 2f98441)</c>.</summary>
    public static string Describe => $"Acaso Mail {Version} (commit {(Commit.Length > 12 ? Commit[..12] : Commit)})";
}
