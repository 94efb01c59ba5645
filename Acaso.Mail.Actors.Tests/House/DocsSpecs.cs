using System.Text;
using System.Text.RegularExpressions;
using Acaso.Mail.Actors.Tests.Support;

namespace Acaso.Mail.Actors.Tests.House;

/// <summary>
/// The docs a newcomer reads: a README short enough to read at once, and every relative link in the repository's
/// Markdown (README, <c>docs/</c>, the reports) leading to a file that exists, and to a heading of it when it names one.
/// </summary>
public sealed partial class DocsSpecs
{
    /// <summary>The README's length at most: what the service is, the two commands, and a map of the docs.</summary>
    public const int ReadmeLinesAtMost = 300;

    public static TheoryData<string> MarkdownFiles
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var file in MarkdownOf(Repository.Root))
            {
                data.Add(Path.GetRelativePath(Repository.Root, file));
            }

            return data;
        }
    }

    [Fact]
    public void The_README_should_be_short_and_map_every_topic_of_the_docs()
    {
        var readme = File.ReadAllLines(Repository.PathOf("README.md"));
        Assert.True(readme.Length <= ReadmeLinesAtMost, $"README.md has {readme.Length} lines; at most {ReadmeLinesAtMost}: move the detail to docs/");
        var text = string.Join('\n', readme);
        foreach (var topic in new[] { "configuration", "operations", "cluster", "console", "architecture", "testing" })
        {
            Assert.True(File.Exists(Repository.PathOf($"docs/{topic}.md")), $"docs/{topic}.md is missing");
            Assert.Contains($"](docs/{topic}.md)", text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(MarkdownFiles))]
    public void Every_relative_link_should_lead_to_a_file_and_heading_that_exist(string relative)
    {
        var file = Repository.PathOf(relative);
        var broken = new List<string>();
        foreach (Match link in Link().Matches(WithoutCode(File.ReadAllText(file))))
        {
            var target = link.Groups["target"].Value;
            if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal))
            {
                continue;
            }

            var hash = target.IndexOf('#', StringComparison.Ordinal);
            var (path, anchor) = hash < 0 ? (target, null) : (target[..hash], target[(hash + 1)..]);
            var resolved = path.Length == 0 ? file : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, Uri.UnescapeDataString(path)));
            if (!File.Exists(resolved) && !Directory.Exists(resolved))
            {
                broken.Add($"{target}: no such file");
            }
            else if (anchor is not null && resolved.EndsWith(".md", StringComparison.Ordinal) && !AnchorsOf(resolved).Contains(anchor))
            {
                broken.Add($"{target}: no such heading");
            }
        }

        Assert.True(broken.Count == 0, $"{relative}: " + string.Join("; ", broken));
    }

    [Fact]
    public void A_broken_link_and_a_missing_heading_should_both_be_found()
    {
        var dir = Directory.CreateTempSubdirectory("acaso-docs-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "a.md"), "# A\n\n## What happens when…\n");
            var links = "[ok](a.md#what-happens-when) [gone](b.md) [no heading](a.md#nowhere) `[in code](c.md)`";
            var found = Link().Matches(WithoutCode(links)).Select(m => m.Groups["target"].Value).ToList();
            Assert.Equal(["a.md#what-happens-when", "b.md", "a.md#nowhere"], found);
            Assert.Contains("what-happens-when", AnchorsOf(Path.Combine(dir, "a.md")));
            Assert.DoesNotContain("nowhere", AnchorsOf(Path.Combine(dir, "a.md")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static IEnumerable<string> MarkdownOf(string root) =>
        Directory.EnumerateFiles(root, "*.md", SearchOption.TopDirectoryOnly)
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md", SearchOption.AllDirectories))
            .Order(StringComparer.Ordinal);

    /// <summary>The anchors GitHub gives a file's headings: lower case, punctuation dropped, spaces as hyphens.</summary>
    private static HashSet<string> AnchorsOf(string file) =>
        [.. File.ReadLines(file).Where(l => l.StartsWith('#')).Select(l => Slug(l.TrimStart('#').Trim()))];

    private static string Slug(string heading)
    {
        var slug = new StringBuilder();
        foreach (var c in heading.ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '_')
            {
                slug.Append(c);
            }
            else if (c == ' ')
            {
                slug.Append('-');
            }
        }

        return slug.ToString();
    }

    /// <summary>The text with fenced blocks and inline code blanked: a link shown as code is not a link.</summary>
    private static string WithoutCode(string markdown) => InlineCode().Replace(Fenced().Replace(markdown, ""), "");

    [GeneratedRegex(@"\]\((?<target>[^)\s]+)\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"(?ms)^```.*?^```")]
    private static partial Regex Fenced();

    [GeneratedRegex(@"`[^`\n]*`")]
    private static partial Regex InlineCode();
}
