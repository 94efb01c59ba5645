using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Acaso.Mail.Actors.Queue;

/// <summary>
/// The idempotency keys of mails Brevo accepted, written before the message is acked. When the service dies between
/// Brevo's acceptance and the ack, RabbitMQ delivers the mail again, and in daily mode that can be in a later window,
/// past Brevo's 30-minute memory of the key: the reader finds the key here and acks the mail without a second send.
/// </summary>
public interface ISentLedger
{
    /// <summary>True when Brevo accepted a mail with <paramref name="key"/> within the ledger's retention.</summary>
    bool Contains(Guid key);

    /// <summary>Records that Brevo accepted the mail with <paramref name="key"/>.</summary>
    void Record(Guid key);
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

    private readonly string _connectionString;
    private readonly TimeProvider _clock;

    /// <summary>Opens (creating when missing) <c>sent.db</c> in <paramref name="stateDir"/>.</summary>
    public SqliteSentLedger(string stateDir, TimeProvider? clock = null)
    {
        _clock = clock ?? TimeProvider.System;
        Directory.CreateDirectory(stateDir);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(stateDir, "sent.db") }.ToString();
        using var connection = Open();
        using var create = connection.CreateCommand();
        create.CommandText =
            "PRAGMA journal_mode=WAL;" +
            "CREATE TABLE IF NOT EXISTS sent (key TEXT PRIMARY KEY, at TEXT NOT NULL);" +
            "DELETE FROM sent WHERE at < $cutoff;";
        create.Parameters.AddWithValue("$cutoff", Stamp(_clock.GetUtcNow() - Retention));
        create.ExecuteNonQuery();
    }

    /// <inheritdoc />
    public bool Contains(Guid key)
    {
        using var connection = Open();
        using var query = connection.CreateCommand();
        query.CommandText = "SELECT 1 FROM sent WHERE key = $key AND at >= $cutoff";
        query.Parameters.AddWithValue("$key", key.ToString("D"));
        query.Parameters.AddWithValue("$cutoff", Stamp(_clock.GetUtcNow() - Retention));
        return query.ExecuteScalar() is not null;
    }

    /// <inheritdoc />
    public void Record(Guid key)
    {
        using var connection = Open();
        using var upsert = connection.CreateCommand();
        upsert.CommandText = "INSERT INTO sent (key, at) VALUES ($key, $at) ON CONFLICT(key) DO UPDATE SET at = excluded.at";
        upsert.Parameters.AddWithValue("$key", key.ToString("D"));
        upsert.Parameters.AddWithValue("$at", Stamp(_clock.GetUtcNow()));
        upsert.ExecuteNonQuery();
    }

    private static string Stamp(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous=NORMAL";
        pragma.ExecuteNonQuery();
        return connection;
    }
}
