using System.Globalization;
using Acaso.Mail.Actors.Storage;
using Npgsql;

namespace Acaso.Mail.Actors.Queue.Stores;

/// <summary>
/// The sent ledger in the cluster's shared PostgreSQL database: a mail one node sent and could not ack (its node died)
/// is redelivered to another node, which finds its key here and acks it without a second send.
/// </summary>
public sealed class PostgresSentLedger : ISentLedger
{
    private readonly PostgresState _db;
    private readonly TimeProvider _clock;

    /// <summary>Creates the <c>sent_ledger</c> table when missing and drops keys past <see cref="SqliteSentLedger.Retention"/>.</summary>
    public PostgresSentLedger(NpgsqlDataSource source, TimeProvider? clock = null)
    {
        _db = new PostgresState(source);
        _clock = clock ?? TimeProvider.System;
        _db.EnsureSchema("CREATE TABLE IF NOT EXISTS sent_ledger (key uuid PRIMARY KEY, at timestamptz NOT NULL)");
        _db.Execute("DELETE FROM sent_ledger WHERE at < @cutoff", ("cutoff", Cutoff));
    }

    /// <inheritdoc />
    public async Task<bool> ContainsAsync(Guid key, CancellationToken cancellation) =>
        await _db.ScalarAsync("SELECT 1 FROM sent_ledger WHERE key = @key AND at >= @cutoff", cancellation,
            ("key", key), ("cutoff", Cutoff)).ConfigureAwait(false) is not null;

    /// <inheritdoc />
    public Task RecordAsync(Guid key, CancellationToken cancellation) =>
        _db.ExecuteAsync("INSERT INTO sent_ledger (key, at) VALUES (@key, @at) ON CONFLICT (key) DO UPDATE SET at = excluded.at", cancellation,
            ("key", key), ("at", _clock.GetUtcNow()));

    private DateTimeOffset Cutoff => _clock.GetUtcNow() - SqliteSentLedger.Retention;

    /// <summary>
    /// Copies the keys of a single node's <c>sent.db</c> under <paramref name="stateDir"/> (an upgrade to a cluster), then
    /// renames the file <c>sent.db.imported</c> so it is copied once; returns how many keys it held.
    /// </summary>
    public int Import(string stateDir) => SqliteStateFile.ImportOnce(stateDir, "sent.db", "SELECT key, at FROM sent", row =>
        _db.Execute("INSERT INTO sent_ledger (key, at) VALUES (@key, @at) ON CONFLICT (key) DO NOTHING",
            ("key", Guid.Parse(row.GetString(0))), ("at", DateTimeOffset.Parse(row.GetString(1), CultureInfo.InvariantCulture))));
}

/// <summary>
/// The failed-window counts in the cluster's shared PostgreSQL database, so a mail Brevo keeps failing on is counted
/// the same whichever node takes it next.
/// </summary>
public sealed class PostgresFailedWindowStore : IFailedWindowStore
{
    private readonly PostgresState _db;
    private readonly TimeProvider _clock;

    /// <summary>Creates the <c>failed_windows</c> table when missing and drops counts past <see cref="SqliteFailedWindowStore.Retention"/>.</summary>
    public PostgresFailedWindowStore(NpgsqlDataSource source, TimeProvider? clock = null)
    {
        _db = new PostgresState(source);
        _clock = clock ?? TimeProvider.System;
        _db.EnsureSchema("CREATE TABLE IF NOT EXISTS failed_windows (key uuid PRIMARY KEY, failed integer NOT NULL, updated timestamptz NOT NULL)");
        _db.Execute("DELETE FROM failed_windows WHERE updated < @cutoff", ("cutoff", _clock.GetUtcNow() - SqliteFailedWindowStore.Retention));
    }

    /// <inheritdoc />
    public async Task<int> CountAsync(Guid key, CancellationToken cancellation) =>
        await _db.ScalarAsync("SELECT failed FROM failed_windows WHERE key = @key", cancellation, ("key", key)).ConfigureAwait(false) is { } failed
            ? Convert.ToInt32(failed, CultureInfo.InvariantCulture)
            : 0;

    /// <inheritdoc />
    public async Task<int> IncrementAsync(Guid key, CancellationToken cancellation) =>
        Convert.ToInt32(await _db.ScalarAsync(
            "INSERT INTO failed_windows (key, failed, updated) VALUES (@key, 1, @now) " +
            "ON CONFLICT (key) DO UPDATE SET failed = failed_windows.failed + 1, updated = excluded.updated RETURNING failed",
            cancellation, ("key", key), ("now", _clock.GetUtcNow())).ConfigureAwait(false), CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public Task ForgetAsync(Guid key, CancellationToken cancellation) =>
        _db.ExecuteAsync("DELETE FROM failed_windows WHERE key = @key", cancellation, ("key", key));

    /// <summary>Copies the counts of a single node's <c>failed-windows.db</c> (an upgrade to a cluster) once, as <see cref="PostgresSentLedger.Import"/> does.</summary>
    public int Import(string stateDir) => SqliteStateFile.ImportOnce(stateDir, "failed-windows.db", "SELECT key, failed, updated FROM failed_windows", row =>
        _db.Execute("INSERT INTO failed_windows (key, failed, updated) VALUES (@key, @failed, @updated) ON CONFLICT (key) DO NOTHING",
            ("key", Guid.Parse(row.GetString(0))), ("failed", row.GetInt32(1)),
            ("updated", DateTimeOffset.Parse(row.GetString(2), CultureInfo.InvariantCulture))));
}
