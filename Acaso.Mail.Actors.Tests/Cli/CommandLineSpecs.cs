using Acaso.Mail.Actors.Tests.Support;

namespace Acaso.Mail.Actors.Tests.Cli;

/// <summary>The command line as an operator meets it: generated help, parse errors that name the option, settings read only where needed.</summary>
public sealed class CommandLineSpecs
{
    private static readonly Dictionary<string, string> BrokenLimit = new() { ["MAIL_DAILY_LIMIT"] = "plenty" };

    public static TheoryData<string[], string[]> Verbs => new()
    {
        { ["run"], [] },
        { ["preview"], ["--priority", "--now", "--timezone"] },
        { ["publish"], ["--count", "-n", "--seed"] },
        { ["simulate"], ["--mails", "--daily-limit", "--per-hour", "--arrivals", "--policy", "--seed", "--urgent-priority", "--json", "--chart"] },
        { ["dead-letters", "list"], ["--latest"] },
        { ["dead-letters", "replay"], ["--reason", "--limit"] },
    };

    [Theory]
    [MemberData(nameof(Verbs))]
    public async Task Every_verb_should_print_help_generated_from_its_declared_options(string[] verb, string[] options)
    {
        var (code, output, _) = await CommandLineRun.RunAsync([.. verb, "--help"], BrokenLimit);
        Assert.Equal(0, code);
        Assert.Matches($@"Usage:\n  \S+ {string.Join(' ', verb)} \[options\]", output.ReplaceLineEndings("\n"));
        Assert.All(options, option => Assert.Contains(option, output, StringComparison.Ordinal));
    }

    public static TheoryData<string[], string> BadOptions => new()
    {
        { ["preview", "--priority", "300"], "--priority" },
        { ["preview", "--now", "yesterday"], "--now" },
        { ["preview", "--timezone", "Mars/Olympus"], "--timezone" },
        { ["publish", "--count", "0"], "--count" },
        { ["publish", "--seed", "x"], "--seed" },
        { ["simulate", "--mails", "lots"], "--mails" },
        { ["simulate", "--daily-limit", "0"], "--daily-limit" },
        { ["simulate", "--per-hour", "-1"], "--per-hour" },
        { ["simulate", "--seed", "one"], "--seed" },
        { ["simulate", "--urgent-priority", "high"], "--urgent-priority" },
        { ["simulate", "--arrivals", "evening"], "--arrivals" },
        { ["simulate", "--policy", "newest"], "--policy" },
        { ["dead-letters", "list", "--latest", "abc"], "--latest" },
        { ["dead-letters", "replay", "--limit", "abc"], "--limit" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public async Task A_bad_value_should_exit_64_naming_its_option(string[] args, string option)
    {
        var (code, _, error) = await CommandLineRun.RunAsync(args);
        Assert.Equal(64, code);
        Assert.Contains(option, error, StringComparison.Ordinal);
        Assert.Contains("--help'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_should_give_the_version_of_Directory_Build_props_and_the_commit_it_was_built_from()
    {
        var props = System.Xml.Linq.XDocument.Load(Repository.PathOf("Directory.Build.props"));
        var version = props.Descendants("Version").Single().Value;
        // The service's own process: in this one, the entry assembly is the test host.
        await using var service = ServiceProcess.Start(new Dictionary<string, string>(), "--version");
        Assert.True(await service.WaitForExitAsync(TimeSpan.FromSeconds(30)), service.Output);
        Assert.Equal(0, service.ExitCode);
        Assert.Matches($@"^{System.Text.RegularExpressions.Regex.Escape(version)}\+[0-9a-f]{{40}}$", service.Output.Trim());
        Assert.Equal(version, Acaso.Mail.Actors.Hosting.BuildInfo.Version);
        Assert.Matches("^[0-9a-f]{40}$", Acaso.Mail.Actors.Hosting.BuildInfo.Commit);
    }

    [Fact]
    public async Task An_unknown_verb_should_exit_64()
    {
        var (code, _, error) = await CommandLineRun.RunAsync(["send-everything"]);
        Assert.Equal(64, code);
        Assert.Contains("send-everything", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_and_simulate_should_work_whatever_MAIL_DAILY_LIMIT_says()
    {
        var (helpCode, help, _) = await CommandLineRun.RunAsync(["help"], BrokenLimit);
        Assert.Equal(0, helpCode);
        Assert.Contains("simulate", help, StringComparison.Ordinal);
        Assert.Equal(0, (await CommandLineRun.RunAsync(["--help"], BrokenLimit)).Code);

        var (code, output, _) = await CommandLineRun.RunAsync(["simulate", "--mails", "30"], BrokenLimit);
        Assert.Equal(0, code);
        Assert.Contains("sent 30,", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_verb_that_touches_the_broker_should_exit_78_naming_the_bad_variable()
    {
        var (code, _, error) = await CommandLineRun.RunAsync(["publish", "-n", "1"], BrokenLimit);
        Assert.Equal(78, code);
        Assert.Contains("MAIL_DAILY_LIMIT='plenty' is not valid", error, StringComparison.Ordinal);
    }
}
