using Acaso.Mail.Actors.Queue.Stores;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Tests.Support;

namespace Acaso.Mail.Actors.Tests.Cluster;

/// <summary>The sent ledger and the failed-window counts in a real PostgreSQL database, as the nodes of a cluster share them.</summary>
public sealed class SharedStoresSpecs : IAsyncLifetime
{
    private readonly string _stateDir = Directory.CreateTempSubdirectory("acaso-shared-").FullName;
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync("shared_stores");

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        Directory.Delete(_stateDir, recursive: true);
    }

    [Fact]
    public async Task A_key_one_node_recorded_should_be_seen_by_every_other()
    {
        var key = Guid.NewGuid();
        await new PostgresSentLedger(_database.Source).RecordAsync(key, default);
        // Another node: its own store object on the same database.
        var other = new PostgresSentLedger(_database.Source);
        Assert.True(await other.ContainsAsync(key, default));
        Assert.False(await other.ContainsAsync(Guid.NewGuid(), default));
    }

    [Fact]
    public async Task Failed_windows_counted_on_one_node_should_go_on_counting_on_another()
    {
        var key = Guid.NewGuid();
        Assert.Equal(1, await new PostgresFailedWindowStore(_database.Source).IncrementAsync(key, default));
        var other = new PostgresFailedWindowStore(_database.Source);
        Assert.Equal(1, await other.CountAsync(key, default));
        Assert.Equal(2, await other.IncrementAsync(key, default));
        await other.ForgetAsync(key, default);
        Assert.Equal(0, await new PostgresFailedWindowStore(_database.Source).CountAsync(key, default));
    }

    [Fact]
    public async Task An_upgrade_to_a_cluster_should_import_a_single_nodes_files_once()
    {
        var sent = Guid.NewGuid();
        var failing = Guid.NewGuid();
        await new SqliteSentLedger(_stateDir).RecordAsync(sent, default);
        var local = new SqliteFailedWindowStore(_stateDir);
        await local.IncrementAsync(failing, default);
        await local.IncrementAsync(failing, default);

        var ledger = new PostgresSentLedger(_database.Source);
        var windows = new PostgresFailedWindowStore(_database.Source);
        Assert.Equal(1, ledger.Import(_stateDir));
        Assert.Equal(1, windows.Import(_stateDir));
        Assert.True(await ledger.ContainsAsync(sent, default));
        Assert.Equal(2, await windows.CountAsync(failing, default));
        // Renamed, so a restart does not import them again.
        Assert.True(File.Exists(Path.Combine(_stateDir, "sent.db.imported")));
        Assert.False(File.Exists(Path.Combine(_stateDir, "sent.db")));
        Assert.Equal(0, ledger.Import(_stateDir));
        Assert.Equal(0, windows.Import(_stateDir));
    }
}
