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
    int Count(Guid key);

    /// <summary>Counts one more failed window for <paramref name="key"/> and returns the new count.</summary>
    int Increment(Guid key);

    /// <summary>Forgets <paramref name="key"/>: the mail was sent or dead-lettered.</summary>
    void Forget(Guid key);
}

/// <summary>A store that forgets on restart: for the simulator, the benchmarks and specs that do not restart.</summary>
public sealed class InMemoryFailedWindowStore : IFailedWindowStore
{
    private readonly Dictionary<Guid, int> _counts = [];

    /// <inheritdoc />
    public int Count(Guid key) => _counts.GetValueOrDefault(key);

    /// <inheritdoc />
    public int Increment(Guid key) => _counts[key] = _counts.GetValueOrDefault(key) + 1;

    /// <inheritdoc />
    public void Forget(Guid key) => _counts.Remove(key);
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
    public int Count(Guid key) =>
        _file.Scalar("SELECT failed FROM failed_windows WHERE key = $key", ("$key", key.ToString("D"))) is long failed ? (int)failed : 0;

    /// <inheritdoc />
    public int Increment(Guid key) =>
        Convert.ToInt32(_file.Scalar(
            "INSERT INTO failed_windows (key, failed, updated) VALUES ($key, 1, $now) " +
            "ON CONFLICT(key) DO UPDATE SET failed = failed + 1, updated = excluded.updated RETURNING failed",
            ("$key", key.ToString("D")), ("$now", SqliteStateFile.Stamp(_clock.GetUtcNow()))), CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public void Forget(Guid key) => _file.Execute("DELETE FROM failed_windows WHERE key = $key", ("$key", key.ToString("D")));
}
