using System.Text.Json;

namespace Acaso.Mail.Actors.Tests.Support;

/// <summary>One line of <c>../shared/contract/seed-samples.jsonl</c>: a message the old producer made, and what it must become.</summary>
public sealed record SeedSample(int Line, DateTimeOffset PublishedAt, byte Priority, string Body, JsonElement Expected)
{
    public override string ToString() => $"sample {Line}";
}

/// <summary>
/// The producer's samples: <c>contract/seed-samples.jsonl</c> in the repository (a copy of the shared contract's, which
/// Acaso will not change), copied beside the test assembly by the build.
/// </summary>
public static class SharedContract
{
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "contract");

    public static IReadOnlyList<SeedSample> Samples() =>
        File.ReadAllLines(Path.Combine(Directory, "seed-samples.jsonl"))
            .Where(l => l.Trim().Length > 0)
            .Select((line, i) =>
            {
                var json = JsonDocument.Parse(line).RootElement.Clone();
                return new SeedSample(i + 1,
                    DateTimeOffset.Parse(json.GetProperty("published_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
                    (byte)json.GetProperty("priority").GetInt32(),
                    json.GetProperty("body").GetString()!,
                    json.GetProperty("expected"));
            })
            .ToList();
}
