using System.Globalization;
using Acaso.Mail.Actors.Storage;

namespace Acaso.Mail.Actors.Queue.Stores;

/// <summary>
/// How many windows in a row Brevo kept failing on each mail, by its idempotency key: the QueueReader dead-letters a
/// mail as <c>transient_exhausted</c> once the count reaches <c>MAIL_MAX_FAILED_WINDOWS</c>. A requeued message
/// cannot carry a count of its own (a nack returns it unchanged), so the reader keeps the count here.
/// </summary>
public interface IFailedWindowStore
{
    /// <summary>The windows counted so far for <paramref name="key"/> (0 when none).</summary>
    Task<int> CountAsync(Guid key, CancellationToken cancellation);

    /// <summary>Counts one more failed window for <paramref name="key"/> and returns the new count.</summary>
    Task<int> IncrementAsync(Guid key, CancellationToken cancellation);

    /// <summary>Forgets <paramref name="key"/>: the mail was sent or dead-lettered.</summary>
    Task ForgetAsync(Guid key, CancellationToken cancellation);
}

/// <summary>A store that forgets on restart: for the simulator, the benchmarks and specs that do not restart.</summary>
public sealed class InMemoryFailedWindowStore : IFailedWindowStore
{
    private readonly Dictionary<Guid, int> _counts = [];

    /// <inheritdoc />
    public Task<int> CountAsync(Guid key, CancellationToken cancellation)
    {
        lock (_counts)
        {
            return Task.FromResult(_counts.GetValueOrDefault(key));
        }
    }

    /// <inheritdoc />
    public Task<int> IncrementAsync(Guid key, CancellationToken cancellation)
    {
        lock (_counts)
        {
            return Task.FromResult(_counts[key] = _counts.GetValueOrDefault(key) + 1);
        }
    }

    /// <inheritdoc />
    public Task ForgetAsync(Guid key, CancellationToken cancellation)
    {
        lock (_counts)
        {
            _counts.Remove(key);
        }

        return Task.CompletedTask;
    }
}

/// <summary>
/// One small SQLite table under <c>MAIL_STATE_DIR</c> (<c>failed-windows.db</c>), so a restart does not give a mail
/// Brevo keeps failing on a fresh count. Rows untouched for <see cref="Retention"/> are dropped when it opens: their
/// mail left the queue some other way (purged, or taken by another consumer). The reader forgets only mail that came
/// back redelivered (only a requeued mail has a count), so a sent mail's first delivery costs the file nothing.
/// </summary>
public sealed class SqliteFailedWindowStore : IFailedWindowStore
{
    /// <summary>How long a count is kept without a new failure.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(14);

    private readonly SqliteStateFile _file;
    private readonly TimeProvider _clock;

    /// <summary>Opens (creating when missing) <c>failed-windows.db</c> in <paramref name="stateDir"/>.</summary>
    public SqliteFailedWindowStore(string stateDir, TimeProvider? clock = null)
    {
        _clock = clock ?? TimeProvider.System;
        _file = new SqliteStateFile(stateDir, "failed-windows.db");
        _file.Execute(
            "CREATE TABLE IF NOT EXISTS failed_windows (key TEXT PRIMARY KEY, failed INTEGER NOT NULL, updated TEXT NOT NULL);" +
            "DELETE FROM failed_windows WHERE updated < $cutoff;",
            ("$cutoff", SqliteStateFile.Stamp(_clock.GetUtcNow() - Retention)));
    }

    /// <inheritdoc />
    public async Task<int> CountAsync(Guid key, CancellationToken cancellation) =>
        await _file.ScalarAsync("SELECT failed FROM failed_windows WHERE key = $key", cancellation, ("$key", key.ToString("D")))
            .ConfigureAwait(false) is long failed ? (int)failed : 0;

    /// <inheritdoc />
    public async Task<int> IncrementAsync(Guid key, CancellationToken cancellation) =>
        Convert.ToInt32(await _file.ScalarAsync(
            "INSERT INTO failed_windows (key, failed, updated) VALUES ($key, 1, $now) " +
            "ON CONFLICT(key) DO UPDATE SET failed = failed + 1, updated = excluded.updated RETURNING failed", cancellation,
            ("$key", key.ToString("D")), ("$now", SqliteStateFile.Stamp(_clock.GetUtcNow()))).ConfigureAwait(false), CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public Task ForgetAsync(Guid key, CancellationToken cancellation) =>
        _file.ExecuteAsync("DELETE FROM failed_windows WHERE key = $key", cancellation, ("$key", key.ToString("D")));
}
