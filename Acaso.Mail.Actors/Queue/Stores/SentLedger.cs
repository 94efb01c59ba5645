using Acaso.Mail.Actors.Storage;

namespace Acaso.Mail.Actors.Queue.Stores;

/// <summary>
/// The idempotency keys of mails Brevo accepted, written before the message is acked. When the service dies between
/// Brevo's acceptance and the ack, RabbitMQ delivers the mail again, and in daily mode that can be in a later window,
/// past Brevo's 30-minute memory of the key: the reader finds the key here and acks the mail without a second send.
/// </summary>
public interface ISentLedger
{
    /// <summary>True when Brevo accepted a mail with <paramref name="key"/> within the ledger's retention.</summary>
    Task<bool> ContainsAsync(Guid key, CancellationToken cancellation);

    /// <summary>Records that Brevo accepted the mail with <paramref name="key"/>.</summary>
    Task RecordAsync(Guid key, CancellationToken cancellation);
}

/// <summary>
/// One SQLite table under <c>MAIL_STATE_DIR</c> (<c>sent.db</c>) in WAL mode with <c>synchronous=NORMAL</c>: a write
/// costs no fsync, and a committed row survives the death of the process (not that of the machine's power).
/// Rows older than <see cref="Retention"/> are dropped when it opens.
/// </summary>
public sealed class SqliteSentLedger : ISentLedger
{
    /// <summary>How long an accepted key is remembered.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(7);

    private readonly SqliteStateFile _file;
    private readonly TimeProvider _clock;

    /// <summary>Opens (creating when missing) <c>sent.db</c> in <paramref name="stateDir"/>.</summary>
    public SqliteSentLedger(string stateDir, TimeProvider? clock = null)
    {
        _clock = clock ?? TimeProvider.System;
        _file = new SqliteStateFile(stateDir, "sent.db", connectionPragmas: "PRAGMA synchronous=NORMAL");
        _file.Execute(
            "PRAGMA journal_mode=WAL;" +
            "CREATE TABLE IF NOT EXISTS sent (key TEXT PRIMARY KEY, at TEXT NOT NULL);" +
            "DELETE FROM sent WHERE at < $cutoff;",
            ("$cutoff", Cutoff));
    }

    /// <inheritdoc />
    public async Task<bool> ContainsAsync(Guid key, CancellationToken cancellation) =>
        await _file.ScalarAsync("SELECT 1 FROM sent WHERE key = $key AND at >= $cutoff", cancellation,
            ("$key", key.ToString("D")), ("$cutoff", Cutoff)).ConfigureAwait(false) is not null;

    /// <inheritdoc />
    public Task RecordAsync(Guid key, CancellationToken cancellation) =>
        _file.ExecuteAsync("INSERT INTO sent (key, at) VALUES ($key, $at) ON CONFLICT(key) DO UPDATE SET at = excluded.at", cancellation,
            ("$key", key.ToString("D")), ("$at", SqliteStateFile.Stamp(_clock.GetUtcNow())));

    private string Cutoff => SqliteStateFile.Stamp(_clock.GetUtcNow() - Retention);
}
