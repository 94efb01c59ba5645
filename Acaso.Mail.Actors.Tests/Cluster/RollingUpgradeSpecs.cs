using System.Text.RegularExpressions;
using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Tests.Support;
using static Acaso.Mail.Actors.Tests.Support.ProcessAssertions;

namespace Acaso.Mail.Actors.Tests.Cluster;

/// <summary>
/// A rolling upgrade, as <c>scripts/upgrade-check.sh &lt;commit&gt;</c> runs it: a three-node cluster of an earlier build
/// (<c>MAIL_UPGRADE_FROM_DLL</c>, that commit built from the repository's history) with mail flowing, whose nodes are
/// replaced one by one, oldest first, by this build. Every mail goes out once, the keeper's count is exact, the
/// keeper's journal goes on in this build's format, and no node of either build logs a serialization error. The test
/// command runs it from the commit in <c>scripts/upgrade-from</c>.
/// </summary>
[Trait("Isolation", "Upgrade")]
[Trait("Loop", "Full")]
public sealed partial class RollingUpgradeSpecs() : SharedDatabaseNodeSpecs("xkeysib-upgrade", "rolling-upgrade", "rolling_upgrade")
{
    [GeneratedRegex(@"^.*(serializ|manifest).*(error|exception|fail|unknown|cannot|not defined).*$|^.*(error|exception|fail|unknown|cannot).*(serializ|manifest).*$",
        RegexOptions.IgnoreCase | RegexOptions.Multiline)]
    private static partial Regex SerializationTrouble();

    private int _published;

    private async Task PublishMoreAsync(int count)
    {
        for (var i = 0; i < count; i++, _published++)
        {
            await Publisher.PublishAsync(Mails.Body(_published, DateTimeOffset.UtcNow.AddDays(2)), (byte)(100 + _published % 100));
        }
    }

    [Fact]
    public async Task A_cluster_of_the_recorded_commit_should_be_upgraded_node_by_node_with_mail_flowing_each_mail_once_and_the_count_exact()
    {
        var from = System.Environment.GetEnvironmentVariable("MAIL_UPGRADE_FROM_DLL");
        Assert.True(from is { Length: > 0 } && File.Exists(from),
            "MAIL_UPGRADE_FROM_DLL names no build of an earlier commit: run scripts/upgrade-check.sh \"$(cat scripts/upgrade-from)\" " +
            "(it builds that commit from the repository's history and runs this spec), or scripts/test.sh, which calls it.");
        Brevo.Latency = TimeSpan.FromMilliseconds(200);
        const string cron = "0/2 * * * * ?";
        var outputs = new List<(string Build, string Output)>();

        await PublishMoreAsync(20);
        await StartClusterAsync(cron, dll: from);
        await Eventually(() => Task.FromResult(Brevo.Delivered.Count >= 5), TimeSpan.FromSeconds(60), "the earlier build to send");
        // Oldest first: the keeper (a singleton on the oldest node) moves to another node of the earlier build each time,
        // and to a node of this build only once no node of the earlier one is left to read what this build journals.
        foreach (var node in Nodes)
        {
            await PublishMoreAsync(10);
            outputs.Add(("earlier", await RestartAsync(node, cron)));
        }

        await Eventually(async () => Brevo.Delivered.Count == _published && await RabbitBroker.ReadyAsync(Queue.Inbox) == 0,
            TimeSpan.FromSeconds(120), "every mail");
        await EveryMailAckedAsync();
        AssertEachSentOnce(_published);
        var keeper = await KeeperNodeAsync();
        Assert.Equal(_published, await MetricAsync(keeper, "mail_tokens_spent_today"));

        // The journal goes on in this build's format: events.
        await using (var newest = Database.Source.CreateCommand(
            "SELECT identifier, manifest FROM journal WHERE persistence_id = 'budget-keeper' ORDER BY sequence_number DESC LIMIT 1"))
        await using (var row = await newest.ExecuteReaderAsync())
        {
            Assert.True(await row.ReadAsync());
            Assert.Equal(BudgetSerializer.Id, row.GetInt32(0));
            Assert.Contains(row.GetString(1), BudgetSerializer.Written.Where(w => typeof(KeeperEvents.IKeeperEvent).IsAssignableFrom(w.Key)).Select(w => w.Value));
        }

        outputs.AddRange(Nodes.Select(n => ("this", n.Process!.Output)));
        Assert.All(outputs, o => Assert.False(SerializationTrouble().IsMatch(o.Output),
            $"a node of the {o.Build} build logged: {SerializationTrouble().Match(o.Output).Value}"));
    }
}
