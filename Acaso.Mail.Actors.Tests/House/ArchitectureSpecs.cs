using Acaso.Mail.Actors.Tests.Support;
using System.Text.RegularExpressions;
using NetArchTest.Rules;

namespace Acaso.Mail.Actors.Tests.House;

/// <summary>
/// The dependency map between the service's folders (each folder a namespace, with its subfolders): every edge that
/// is allowed, and no other. A use the map lacks fails here, and so does an edge of the map nothing uses any more,
/// so the map stays true. <c>docs/architecture.md</c> shows the same edges (<see cref="Rendered"/>), checked below.
/// </summary>
public sealed partial class ArchitectureSpecs
{
    private const string Root = "Acaso.Mail.Actors";

    /// <summary>The map: each folder and the folders it uses (reads "uses").</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Allowed = new SortedDictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["Brevo"] = ["Settings"],
        ["Budget"] = ["Brevo", "Events", "Lifecycle", "Settings", "Storage"],
        ["Cli"] = ["Brevo", "Contract", "Delivery", "Hosting", "Logging", "Queue", "Settings", "Simulation"],
        ["Cluster"] = ["Events", "Settings"],
        ["Contract"] = [],
        ["Delivery"] = ["Brevo", "Contract", "Events", "Settings", "Storage"],
        ["Events"] = ["Contract"],
        ["Hosting"] = ["Brevo", "Budget", "Cluster", "Delivery", "Events", "Logging", "Metrics", "Operator", "Queue", "Sending", "Settings", "Storage"],
        ["Lifecycle"] = [],
        ["Logging"] = ["Settings"],
        ["Metrics"] = ["Events"],
        ["Operator"] = ["Budget", "Delivery", "Metrics", "Queue", "Settings"],
        ["Queue"] = ["Brevo", "Budget", "Contract", "Delivery", "Events", "Lifecycle", "Sending", "Settings", "Storage"],
        ["Sending"] = ["Brevo", "Events", "Settings"],
        ["Settings"] = ["Contract"],
        ["Simulation"] = ["Brevo", "Budget", "Contract", "Delivery", "Events", "Hosting", "Metrics", "Queue", "Sending", "Settings"],
        ["Storage"] = ["Events"],
    };

    private static readonly Lazy<SortedSet<(string From, string To)>> Used = new(FindUsed);

    [Fact]
    public void Every_folder_of_the_service_should_be_in_the_map()
    {
        var folders = typeof(Acaso.Mail.Actors.Settings.SettingsLoader).Assembly.GetTypes()
            .Select(t => t.Namespace ?? "")
            .Where(ns => ns.StartsWith(Root + ".", StringComparison.Ordinal))
            .Select(ns => ns[(Root.Length + 1)..].Split('.')[0])
            .ToHashSet();
        Assert.Equal(folders.Order(StringComparer.Ordinal), Allowed.Keys);
    }

    [Fact]
    public void Every_use_between_folders_should_be_an_edge_of_the_map_and_every_edge_a_use()
    {
        var allowed = Allowed.SelectMany(kv => kv.Value.Select(to => (kv.Key, to))).ToHashSet();
        var unlisted = Used.Value.Where(edge => !allowed.Contains(edge)).Select(e => $"{e.From} -> {e.To}").ToList();
        var stale = allowed.Where(edge => !Used.Value.Contains(edge)).Select(e => $"{e.Item1} -> {e.Item2}").ToList();
        Assert.True(unlisted.Count == 0 && stale.Count == 0,
            $"Used but not in the map: {string.Join(", ", unlisted)}. In the map but unused: {string.Join(", ", stale)}.\n" +
            "The map as used now:\n" + Render(Used.Value.GroupBy(e => e.From).ToDictionary(g => g.Key, g => g.Select(e => e.To).ToArray())));
    }

    [Fact]
    public void The_architecture_doc_should_show_the_map_as_the_spec_states_it()
    {
        var doc = File.ReadAllText(Repository.PathOf("docs/architecture.md"));
        var block = MapBlock().Match(doc);
        Assert.True(block.Success, "docs/architecture.md has no dependency map between its <!-- dependency-map --> markers");
        Assert.Equal(Rendered, block.Groups["map"].Value.Trim());
    }

    [Fact]
    public void The_map_should_have_no_cycle_so_every_folder_can_be_read_knowing_only_those_below_it()
    {
        var done = new HashSet<string>();
        var path = new List<string>();
        foreach (var folder in Allowed.Keys)
        {
            var cycle = CycleFrom(folder, done, path);
            Assert.True(cycle is null, "a cycle in the map: " + cycle);
        }
    }

    private static string? CycleFrom(string folder, HashSet<string> done, List<string> path)
    {
        if (done.Contains(folder))
        {
            return null;
        }

        var at = path.IndexOf(folder);
        if (at >= 0)
        {
            return string.Join(" -> ", path.Skip(at).Append(folder));
        }

        path.Add(folder);
        foreach (var next in Allowed[folder])
        {
            if (CycleFrom(next, done, path) is { } cycle)
            {
                return cycle;
            }
        }

        path.RemoveAt(path.Count - 1);
        done.Add(folder);
        return null;
    }

    /// <summary>The map as <c>docs/architecture.md</c> shows it: a line a folder, the folders it uses after the arrow.</summary>
    public static string Rendered => Render(Allowed);

    private static string Render(IReadOnlyDictionary<string, string[]> map)
    {
        var width = Allowed.Keys.Max(k => k.Length);
        return string.Join('\n', Allowed.Keys.Select(from =>
        {
            var to = map.TryGetValue(from, out var uses) ? uses.Order(StringComparer.Ordinal).ToArray() : [];
            return (from.PadRight(width) + (to.Length == 0 ? "    (uses no other folder)" : " -> " + string.Join(", ", to))).TrimEnd();
        }));
    }

    private static SortedSet<(string From, string To)> FindUsed()
    {
        var assembly = typeof(Acaso.Mail.Actors.Settings.SettingsLoader).Assembly;
        var used = new SortedSet<(string, string)>();
        foreach (var from in Allowed.Keys)
        {
            foreach (var to in Allowed.Keys.Where(to => to != from))
            {
                var result = Types.InAssembly(assembly).That().ResideInNamespace($"{Root}.{from}")
                    .ShouldNot().HaveDependencyOn($"{Root}.{to}").GetResult();
                if (!result.IsSuccessful)
                {
                    used.Add((from, to));
                }
            }
        }

        return used;
    }

    [GeneratedRegex(@"<!-- dependency-map -->\s*```text\n(?<map>.*?)```", RegexOptions.Singleline)]
    private static partial Regex MapBlock();
}
