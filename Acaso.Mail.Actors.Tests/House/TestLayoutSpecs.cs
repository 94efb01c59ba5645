using Acaso.Mail.Actors.Tests.Support;

namespace Acaso.Mail.Actors.Tests.House;

/// <summary>
/// The specs' layout mirrors the service's, folder for folder, and every spec that starts a service process carries
/// the trait that keeps it out of the fast loop (<c>scripts/test.sh --fast</c>).
/// </summary>
public sealed class TestLayoutSpecs
{
    /// <summary>The spec folders that mirror no folder of the service, and why.</summary>
    public static readonly IReadOnlyDictionary<string, string> OwnFolders = new Dictionary<string, string>
    {
        ["Support"] = "helpers the specs share: the Brevo stand-in, the broker, processes, databases",
        ["Fixtures"] = "data: journals written by earlier builds",
        ["House"] = "the repository's own files: compose, Prometheus rules, docs, the dependency map, this layout",
        ["Reliability"] = "the fault campaign reliability/run.sh runs",
    };

    [Fact]
    public void Every_spec_folder_should_mirror_a_folder_of_the_service_or_be_one_of_the_specs_own()
    {
        var specs = Path.Combine(Repository.Root, "Acaso.Mail.Actors.Tests");
        var service = Path.Combine(Repository.Root, "Acaso.Mail.Actors");
        var strays = FoldersOf(specs)
            .Where(folder => !OwnFolders.ContainsKey(folder.Split('/')[0]))
            .Where(folder => !Directory.Exists(Path.Combine(service, folder)))
            .ToList();
        Assert.True(strays.Count == 0, "spec folders with no folder of the same path in the service: " + string.Join(", ", strays));
    }

    [Fact]
    public void Every_spec_that_starts_service_processes_should_stay_out_of_the_fast_loop()
    {
        var unmarked = typeof(TestLayoutSpecs).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && (typeof(ProcessSpecs).IsAssignableFrom(t) || typeof(ThreeNodeSpecs).IsAssignableFrom(t)))
            .Where(t => !t.GetCustomAttributesData().Any(a => a.AttributeType == typeof(TraitAttribute)
                && (string?)a.ConstructorArguments[0].Value == "Loop" && (string?)a.ConstructorArguments[1].Value == "Full"))
            .Select(t => t.Name)
            .ToList();
        Assert.True(unmarked.Count == 0, "add [Trait(\"Loop\", \"Full\")] to: " + string.Join(", ", unmarked));
    }

    private static IEnumerable<string> FoldersOf(string root) =>
        Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories)
            .Select(dir => Path.GetRelativePath(root, dir).Replace('\\', '/'))
            .Where(dir => !dir.Split('/')[0].Equals("bin", StringComparison.Ordinal) && !dir.Split('/')[0].Equals("obj", StringComparison.Ordinal));
}
