using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Events;
using Acaso.Mail.Actors.Storage;
using Acaso.Mail.Actors.Tests.Support;
using Akka.Actor;
using Akka.TestKit.Configs;
using Microsoft.Data.Sqlite;
using static Acaso.Mail.Actors.Budget.BudgetProtocol;

namespace Acaso.Mail.Actors.Tests.Budget;

/// <summary>
/// Journals written by earlier builds and by this one (<c>Fixtures/journal/</c>, made by its <c>capture.sh</c>: a node
/// stopped with <c>kill -9</c> while a token was in flight, on SQLite and on PostgreSQL, snapshots included) are
/// recovered by this build: the same day, count, window and tokens in flight; then it writes on in its own format (events), and
/// recovers from the mixed journal. A format change adds a fixture of the build before it here.
/// </summary>
public sealed class JournalMigrationSpecs() : StandInSpecs(TestConfigs.TestSchedulerConfig)
{
    /// <summary>The fixtures of one database: the build that wrote each, the day it was written, and what its last state holds.</summary>
    public static TheoryData<string, string, int, long, int> Fixtures(string database)
    {
        // label, day, spent, window, tokens in flight
        var data = new TheoryData<string, string, int, long, int>
        {
            // Newtonsoft rows naming CLR types (Akka's default serializer, id 1), a snapshot at 100.
            { "2f98441", "2026-11-30", 60, 19, 1 },
            // 1.3.0's format (BudgetSerializer, the whole state as budget-state-v1 on every change), snapshots at 100 and 200.
            { "1.3.0", "2026-11-30", 60, 19, 1 },
        };
        // This version's: events (window-began-v1, token-leased-v1, lease-settled-v1, …) after a budget-state-v1 snapshot;
        // its two runs were cut in different windows.
        data.Add("1.4.0", "2026-11-30", 60, database == "sqlite" ? 19 : 18, 1);
        return data;
    }

    private static string Fixture(string name) => Repository.PathOf(Path.Combine("Acaso.Mail.Actors.Tests", "Fixtures", "journal", name));

    /// <summary>The keeper alone (no reader to lease tokens meanwhile) in an actor system of its own on <paramref name="database"/>.</summary>
    private async Task<BudgetStatus> RecoverAsync(MailDatabase database, DateOnly day)
    {
        var config = database.PersistenceConfig()
            .WithFallback(Acaso.Mail.Actors.Settings.SettingsLoader.Embedded("akka.hocon"))
            .WithFallback(TestConfigs.TestSchedulerConfig);
        var system = ActorSystem.Create("journal-migration", config);
        try
        {
            VirtualDay.StartAt(system, new DateTimeOffset(day.ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero));
            var gauges = CreateTestProbe(system);
            system.EventStream.Subscribe(gauges.Ref, typeof(MailEvents.BudgetChanged));
            var keeper = system.ActorOf(BudgetKeeperActor.Props(TestPipeline.Budget(300, 6), new BrevoClient(Http, TestPipeline.BrevoAt(Brevo.BaseUrl))));
            await keeper.Ask<KeeperStarted>(WhenStarted.Instance, TimeSpan.FromSeconds(20));
            var status = await keeper.Ask<BudgetStatus>(GetStatus.Instance, TimeSpan.FromSeconds(10));
            // What the gauges read is published once the keeper has started, not only after its next event.
            var published = gauges.ExpectMsg<MailEvents.BudgetChanged>(TimeSpan.FromSeconds(1));
            Assert.Equal((status.Spent, status.LeftToday), (published.Spent, published.LeftToday));
            // It writes on: a window opened now goes to the journal in this build's format.
            keeper.Tell(HourlyTick.Instance);
            await AwaitConditionAsync(async () =>
                (await keeper.Ask<BudgetStatus>(GetStatus.Instance, TimeSpan.FromSeconds(10))).Window == status.Window + 1, TimeSpan.FromSeconds(10));
            return status;
        }
        finally
        {
            await system.Terminate();
        }
    }

    private static async Task AssertRecoveredAsync(Func<Task<BudgetStatus>> recover, DateOnly day, int spent, long window, int inFlight)
    {
        var first = await recover();
        Assert.Equal((day, spent, window, inFlight), (first.Day, first.Spent, first.Window, first.InFlight));
        // Again, from the journal as this build left it: the earlier build's rows and its own.
        var second = await recover();
        Assert.Equal((day, spent, window + 1, inFlight), (second.Day, second.Spent, second.Window, second.InFlight));
    }

    [Theory]
    [MemberData(nameof(Fixtures), "sqlite")]
    public async Task A_sqlite_journal_of_this_or_an_earlier_build_should_be_recovered_and_written_on(string label, string dayText, int spent, long window, int inFlight)
    {
        using var state = new TempStateDir();
        File.Copy(Fixture($"{label}.sqlite.db"), Path.Combine(state.Path, MailDatabase.SqliteFile));
        var day = DateOnly.Parse(dayText, System.Globalization.CultureInfo.InvariantCulture);
        await AssertRecoveredAsync(() => RecoverAsync(MailDatabase.For(null, state.Path), day), day, spent, window, inFlight);

        await using var connection = new SqliteConnection($"Data Source={Path.Combine(state.Path, MailDatabase.SqliteFile)}");
        await connection.OpenAsync();
        await using var newest = connection.CreateCommand();
        newest.CommandText = "SELECT identifier, manifest FROM journal ORDER BY sequence_number DESC LIMIT 1";
        await using var row = await newest.ExecuteReaderAsync();
        Assert.True(await row.ReadAsync());
        Assert.Equal((BudgetSerializer.Id, "window-began-v1"), (Convert.ToInt32(row.GetValue(0), System.Globalization.CultureInfo.InvariantCulture), row.GetString(1)));
    }

    [Fact]
    public async Task A_keeper_should_keep_only_its_latest_snapshot_and_recover_from_it()
    {
        using var state = new TempStateDir();
        var database = MailDatabase.For(null, state.Path);
        var config = database.PersistenceConfig()
            .WithFallback(Acaso.Mail.Actors.Settings.SettingsLoader.Embedded("akka.hocon"))
            .WithFallback(TestConfigs.TestSchedulerConfig);
        var system = ActorSystem.Create("keeper-snapshots", config);
        try
        {
            VirtualDay.StartAt(system, new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
            var keeper = system.ActorOf(BudgetKeeperActor.Props(TestPipeline.Budget(300, 6), new BrevoClient(Http, TestPipeline.BrevoAt(Brevo.BaseUrl))));
            await keeper.Ask<KeeperStarted>(WhenStarted.Instance, TimeSpan.FromSeconds(20));
            // 250 windows, an event each: a snapshot at the 100th and the 200th event.
            for (var i = 0; i < 250; i++)
            {
                keeper.Tell(HourlyTick.Instance);
            }

            await AwaitConditionAsync(async () => (await keeper.Ask<BudgetStatus>(GetStatus.Instance, TimeSpan.FromSeconds(10))).Window == 250,
                TimeSpan.FromSeconds(30));
            await using var connection = new SqliteConnection($"Data Source={Path.Combine(state.Path, MailDatabase.SqliteFile)}");
            await connection.OpenAsync();
            async Task<long> Scalar(string sql)
            {
                await using var command = connection.CreateCommand();
                command.CommandText = sql;
                return await command.ExecuteScalarAsync() is long value ? value : -1;
            }

            // Once the second snapshot is stored, the first goes.
            await AwaitConditionAsync(async () => await Scalar("SELECT max(sequence_number) FROM snapshot") >= 200, TimeSpan.FromSeconds(10));
            await AwaitConditionAsync(async () => await Scalar("SELECT count(*) FROM snapshot") == 1, TimeSpan.FromSeconds(10));
        }
        finally
        {
            await system.Terminate();
        }

        var status = await RecoverAsync(database, new DateOnly(2026, 11, 30));
        Assert.Equal(250, status.Window);
    }

    [Theory]
    [MemberData(nameof(Fixtures), "postgres")]
    public async Task A_postgres_journal_of_this_or_an_earlier_build_should_be_recovered_and_written_on(string label, string dayText, int spent, long window, int inFlight)
    {
        await using var database = await TestDatabase.CreateAsync("journal_fixture");
        await using (var load = database.Source.CreateCommand(await File.ReadAllTextAsync(Fixture($"{label}.postgres.sql"))))
        {
            await load.ExecuteNonQueryAsync();
        }

        var day = DateOnly.Parse(dayText, System.Globalization.CultureInfo.InvariantCulture);
        await AssertRecoveredAsync(() => RecoverAsync(database.Shared, day), day, spent, window, inFlight);

        await using var newest = database.Source.CreateCommand("SELECT identifier, manifest FROM journal ORDER BY sequence_number DESC LIMIT 1");
        await using var row = await newest.ExecuteReaderAsync();
        Assert.True(await row.ReadAsync());
        Assert.Equal((BudgetSerializer.Id, "window-began-v1"), (row.GetInt32(0), row.GetString(1)));
    }
}
