using System.Globalization;
using System.Text.Json;
using Acaso.Mail.Actors.Storage;

namespace Acaso.Mail.Actors.Delivery;

/// <summary>An address the service no longer sends to, and why.</summary>
/// <param name="Email">The address, lower-cased.</param>
/// <param name="Reason">The event that put it there (<c>hard_bounce</c>, <c>spam</c>, <c>soft_bounce</c> …) or an operator's reason.</param>
/// <param name="At">When.</param>
/// <param name="Source">Where from: <c>webhook</c>, <c>operator</c>, <c>brevo_blocklist</c>.</param>
public sealed record Suppression(string Email, string Reason, DateTimeOffset At, string Source)
{
    /// <summary>An address as every store keys it (and Brevo's events spell it): trimmed, lower case.</summary>
    public static string Key(string email) => email.Trim().ToLowerInvariant();
}

/// <summary>A page of a search of the suppression list.</summary>
/// <param name="Total">How many addresses the list holds.</param>
/// <param name="Matching">How many of them the search matched.</param>
/// <param name="Page">The page asked for, newest first.</param>
public sealed record SuppressionSearch(int Total, int Matching, IReadOnlyList<Suppression> Page)
{
    /// <summary>The <c>LIKE</c> pattern for addresses that contain <paramref name="part"/>, its <c>%</c>, <c>_</c> and <c>\</c> escaped with <c>\</c>.</summary>
    public static string Contains(string? part) =>
        "%" + Suppression.Key(part ?? "").Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal) + "%";
}

/// <summary>One line of a mail's history: <c>taken</c>, <c>sent</c>, <c>dead_lettered</c>, or a delivery event's name.</summary>
public sealed record HistoryEntry(DateTimeOffset At, string Email, string Kind, IReadOnlyDictionary<string, object?> Fields);

/// <summary>
/// What Brevo's delivery events leave behind: the suppression list, each mail's history, the events already seen (so a
/// retried webhook is recorded once), the soft-bounce streaks, and the template of each message Brevo accepted.
/// </summary>
public interface IDeliveryStore
{
    /// <summary>The suppression of <paramref name="email"/>, or null when mail to it may go.</summary>
    Suppression? Suppressed(string email);

    /// <summary><see cref="Suppressed"/> for a caller that can be cancelled: a mail's check as it is taken.</summary>
    Task<Suppression?> SuppressedAsync(string email, CancellationToken cancellation);

    /// <summary>Puts (or keeps) an address on the list.</summary>
    void Suppress(Suppression suppression);

    /// <summary>Takes an address off the list; false when it was not on it.</summary>
    bool Unsuppress(string email);

    /// <summary>The whole list, oldest first.</summary>
    IReadOnlyList<Suppression> Suppressions();

    /// <summary><see cref="Suppressions"/> for a caller that can be cancelled.</summary>
    Task<IReadOnlyList<Suppression>> SuppressionsAsync(CancellationToken cancellation);

    /// <summary>
    /// A page of the suppressions whose address contains <paramref name="part"/> (all when it is empty), newest first:
    /// searched in the store (a <c>LIKE</c> with the part's own wildcards escaped), not in memory.
    /// </summary>
    Task<SuppressionSearch> SearchSuppressionsAsync(string? part, int page, int pageSize, CancellationToken cancellation);

    /// <summary><see cref="Suppress"/> for a caller that can be cancelled.</summary>
    Task SuppressAsync(Suppression suppression, CancellationToken cancellation);

    /// <summary><see cref="Unsuppress"/> for a caller that can be cancelled.</summary>
    Task<bool> UnsuppressAsync(string email, CancellationToken cancellation);

    /// <summary>Remembers an event; false when the same event of the same message at the same instant was seen already.</summary>
    bool FirstTime(DeliveryEvent delivery);

    /// <summary>Counts a soft bounce into the address's streak (begun afresh when older than <paramref name="window"/>); returns the streak.</summary>
    int CountSoftBounce(string email, DateTimeOffset at, TimeSpan window);

    /// <summary>Ends the address's soft-bounce streak (a delivery came through).</summary>
    void EndStreak(string email);

    /// <summary>The template of a message Brevo accepted, if it was recorded.</summary>
    int? TemplateOf(string messageId);

    /// <summary>Appends a line to a mail's history.</summary>
    void Record(HistoryEntry entry);

    /// <summary>Appends lines to histories, and remembers the templates of the messages among them, all at once.</summary>
    void RecordAll(IReadOnlyList<(HistoryEntry Entry, string? MessageId, int? Template)> lines);

    /// <summary>An address's history, oldest first.</summary>
    IReadOnlyList<HistoryEntry> History(string email);

    /// <summary><see cref="History"/> for a caller that can be cancelled.</summary>
    Task<IReadOnlyList<HistoryEntry>> HistoryAsync(string email, CancellationToken cancellation);

    /// <summary><see cref="HistorySince"/> for a caller that can be cancelled.</summary>
    Task<IReadOnlyList<HistoryEntry>> HistorySinceAsync(string kind, DateTimeOffset from, CancellationToken cancellation);

    /// <summary>Every address's lines of <paramref name="kind"/> since <paramref name="from"/>, oldest first (the console's chart of the day).</summary>
    IReadOnlyList<HistoryEntry> HistorySince(string kind, DateTimeOffset from);

    /// <summary>Forgets history, events and messages older than <paramref name="before"/>; returns the history lines removed.</summary>
    int Purge(DateTimeOffset before);
}

/// <summary>The store in one SQLite file under <c>MAIL_STATE_DIR</c> (<c>delivery.db</c>).</summary>
public sealed class SqliteDeliveryStore : IDeliveryStore
{
    private readonly SqliteStateFile _file;

    /// <summary>Opens (creating when missing) <c>delivery.db</c> in <paramref name="stateDir"/>.</summary>
    public SqliteDeliveryStore(string stateDir)
    {
        _file = new SqliteStateFile(stateDir, "delivery.db", "PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;");
        // WAL is a property of the file: set once, it lets the reader look the list up while the Delivery actor writes.
        _file.Execute("PRAGMA journal_mode = WAL");
        _file.Execute("""
            CREATE TABLE IF NOT EXISTS suppressions (email TEXT PRIMARY KEY, reason TEXT NOT NULL, at TEXT NOT NULL, source TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS events_seen (message_id TEXT NOT NULL, event TEXT NOT NULL, ts INTEGER NOT NULL, email TEXT NOT NULL,
                at TEXT NOT NULL, PRIMARY KEY (message_id, event, ts, email));
            CREATE TABLE IF NOT EXISTS soft_streaks (email TEXT PRIMARY KEY, count INTEGER NOT NULL, first_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS messages (message_id TEXT PRIMARY KEY, template INTEGER NOT NULL, at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS history (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL, at TEXT NOT NULL, kind TEXT NOT NULL,
                fields TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS history_by_email ON history (email, at);
            """);
    }

    /// <inheritdoc />
    public Suppression? Suppressed(string email)
    {
        using var connection = _file.Open();
        using var command = SqliteStateFile.Command(connection, "SELECT email, reason, at, source FROM suppressions WHERE email = $email",
            ("$email", Suppression.Key(email)));
        return ReadSuppressions(command).SingleOrDefault();
    }

    /// <inheritdoc />
    public Task<Suppression?> SuppressedAsync(string email, CancellationToken cancellation) => AtOnce(cancellation, () => Suppressed(email));

    /// <inheritdoc />
    public Task<IReadOnlyList<Suppression>> SuppressionsAsync(CancellationToken cancellation) => AtOnce(cancellation, Suppressions);

    /// <inheritdoc />
    public Task<SuppressionSearch> SearchSuppressionsAsync(string? part, int page, int pageSize, CancellationToken cancellation) => AtOnce(cancellation, () =>
    {
        var pattern = SuppressionSearch.Contains(part);
        using var connection = _file.Open();
        var (total, matching) = (0, 0);
        using (var counts = SqliteStateFile.Command(connection,
            "SELECT (SELECT count(*) FROM suppressions), (SELECT count(*) FROM suppressions WHERE email LIKE $pattern ESCAPE '\\')", ("$pattern", pattern)))
        using (var count = counts.ExecuteReader())
        {
            count.Read();
            (total, matching) = (count.GetInt32(0), count.GetInt32(1));
        }

        using var command = SqliteStateFile.Command(connection,
            "SELECT email, reason, at, source FROM suppressions WHERE email LIKE $pattern ESCAPE '\\' ORDER BY at DESC, email LIMIT $limit OFFSET $offset",
            ("$pattern", pattern), ("$limit", pageSize), ("$offset", (long)page * pageSize));
        return new SuppressionSearch(total, matching, ReadSuppressions(command));
    });

    /// <inheritdoc />
    public Task SuppressAsync(Suppression suppression, CancellationToken cancellation) => AtOnce(cancellation, () =>
    {
        Suppress(suppression);
        return true;
    });

    /// <inheritdoc />
    public Task<bool> UnsuppressAsync(string email, CancellationToken cancellation) => AtOnce(cancellation, () => Unsuppress(email));

    /// <inheritdoc />
    public Task<IReadOnlyList<HistoryEntry>> HistoryAsync(string email, CancellationToken cancellation) => AtOnce(cancellation, () => History(email));

    /// <inheritdoc />
    public Task<IReadOnlyList<HistoryEntry>> HistorySinceAsync(string kind, DateTimeOffset from, CancellationToken cancellation) =>
        AtOnce(cancellation, () => HistorySince(kind, from));

    /// <summary>
    /// A call of this store for a caller that can be cancelled: Microsoft.Data.Sqlite reads and writes a local file
    /// synchronously, so it is done at once, unless the caller has already given up.
    /// </summary>
    private static Task<T> AtOnce<T>(CancellationToken cancellation, Func<T> call) =>
        cancellation.IsCancellationRequested ? Task.FromCanceled<T>(cancellation) : Task.FromResult(call());

    /// <summary>Every row of <paramref name="command"/>: email, reason, at, source.</summary>
    private static List<Suppression> ReadSuppressions(Microsoft.Data.Sqlite.SqliteCommand command)
    {
        using var row = command.ExecuteReader();
        var list = new List<Suppression>();
        while (row.Read())
        {
            list.Add(new Suppression(row.GetString(0), row.GetString(1), Instant(row.GetString(2)), row.GetString(3)));
        }

        return list;
    }

    /// <inheritdoc />
    public void Suppress(Suppression suppression) =>
        _file.Execute("INSERT INTO suppressions (email, reason, at, source) VALUES ($email, $reason, $at, $source) ON CONFLICT(email) DO NOTHING",
            ("$email", Suppression.Key(suppression.Email)), ("$reason", suppression.Reason), ("$at", SqliteStateFile.Stamp(suppression.At)), ("$source", suppression.Source));

    /// <inheritdoc />
    public bool Unsuppress(string email)
    {
        using var connection = _file.Open();
        using var command = SqliteStateFile.Command(connection, "DELETE FROM suppressions WHERE email = $email", ("$email", Suppression.Key(email)));
        var removed = command.ExecuteNonQuery() > 0;
        using var streak = SqliteStateFile.Command(connection, "DELETE FROM soft_streaks WHERE email = $email", ("$email", Suppression.Key(email)));
        streak.ExecuteNonQuery();
        return removed;
    }

    /// <inheritdoc />
    public IReadOnlyList<Suppression> Suppressions()
    {
        using var connection = _file.Open();
        using var command = SqliteStateFile.Command(connection, "SELECT email, reason, at, source FROM suppressions ORDER BY at, email");
        return ReadSuppressions(command);
    }

    /// <inheritdoc />
    public bool FirstTime(DeliveryEvent delivery)
    {
        using var connection = _file.Open();
        using var command = SqliteStateFile.Command(connection,
            "INSERT INTO events_seen (message_id, event, ts, email, at) VALUES ($id, $event, $ts, $email, $at) ON CONFLICT DO NOTHING",
            ("$id", delivery.MessageId ?? ""), ("$event", delivery.Event), ("$ts", delivery.TsEpoch), ("$email", delivery.Email),
            ("$at", SqliteStateFile.Stamp(delivery.At)));
        return command.ExecuteNonQuery() > 0;
    }

    /// <inheritdoc />
    public int CountSoftBounce(string email, DateTimeOffset at, TimeSpan window) =>
        Convert.ToInt32(_file.Scalar(
            "INSERT INTO soft_streaks (email, count, first_at) VALUES ($email, 1, $at) ON CONFLICT(email) DO UPDATE SET " +
            "count = CASE WHEN first_at < $cutoff THEN 1 ELSE count + 1 END, first_at = CASE WHEN first_at < $cutoff THEN $at ELSE first_at END " +
            "RETURNING count",
            ("$email", Suppression.Key(email)), ("$at", SqliteStateFile.Stamp(at)), ("$cutoff", SqliteStateFile.Stamp(at - window))), CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public void EndStreak(string email) => _file.Execute("DELETE FROM soft_streaks WHERE email = $email", ("$email", Suppression.Key(email)));

    /// <inheritdoc />
    public int? TemplateOf(string messageId) =>
        _file.Scalar("SELECT template FROM messages WHERE message_id = $id", ("$id", messageId)) is long template ? (int)template : null;

    /// <inheritdoc />
    public void Record(HistoryEntry entry) => RecordAll([(entry, null, null)]);

    /// <inheritdoc />
    public void RecordAll(IReadOnlyList<(HistoryEntry Entry, string? MessageId, int? Template)> lines)
    {
        using var connection = _file.Open();
        using var transaction = connection.BeginTransaction();
        foreach (var (entry, messageId, template) in lines)
        {
            if (messageId is not null && template is { } id)
            {
                using var message = SqliteStateFile.Command(connection,
                    "INSERT INTO messages (message_id, template, at) VALUES ($id, $template, $at) ON CONFLICT DO NOTHING",
                    ("$id", messageId), ("$template", id), ("$at", SqliteStateFile.Stamp(entry.At)));
                message.Transaction = transaction;
                message.ExecuteNonQuery();
            }

            using var history = SqliteStateFile.Command(connection, "INSERT INTO history (email, at, kind, fields) VALUES ($email, $at, $kind, $fields)",
                ("$email", Suppression.Key(entry.Email)), ("$at", SqliteStateFile.Stamp(entry.At)), ("$kind", entry.Kind), ("$fields", JsonSerializer.Serialize(entry.Fields)));
            history.Transaction = transaction;
            history.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    /// <inheritdoc />
    public IReadOnlyList<HistoryEntry> History(string email)
    {
        using var connection = _file.Open();
        using var command = SqliteStateFile.Command(connection, "SELECT at, kind, fields FROM history WHERE email = $email ORDER BY at, id",
            ("$email", Suppression.Key(email)));
        using var row = command.ExecuteReader();
        var list = new List<HistoryEntry>();
        while (row.Read())
        {
            list.Add(new HistoryEntry(Instant(row.GetString(0)), Suppression.Key(email), row.GetString(1), Fields(row.GetString(2))));
        }

        return list;
    }

    /// <inheritdoc />
    public IReadOnlyList<HistoryEntry> HistorySince(string kind, DateTimeOffset from)
    {
        using var connection = _file.Open();
        using var command = SqliteStateFile.Command(connection, "SELECT at, email, fields FROM history WHERE kind = $kind AND at >= $from ORDER BY at, id",
            ("$kind", kind), ("$from", SqliteStateFile.Stamp(from)));
        using var row = command.ExecuteReader();
        var list = new List<HistoryEntry>();
        while (row.Read())
        {
            list.Add(new HistoryEntry(Instant(row.GetString(0)), row.GetString(1), kind, Fields(row.GetString(2))));
        }

        return list;
    }

    /// <inheritdoc />
    public int Purge(DateTimeOffset before)
    {
        var cutoff = ("$cutoff", (object)SqliteStateFile.Stamp(before));
        using var connection = _file.Open();
        using var history = SqliteStateFile.Command(connection, "DELETE FROM history WHERE at < $cutoff", cutoff);
        var removed = history.ExecuteNonQuery();
        foreach (var table in new[] { "events_seen", "messages" })
        {
            using var command = SqliteStateFile.Command(connection, $"DELETE FROM {table} WHERE at < $cutoff", cutoff);
            command.ExecuteNonQuery();
        }

        return removed;
    }

    /// <summary>Every address with a history (to copy the histories elsewhere).</summary>
    internal IReadOnlyList<string> HistoryEmails()
    {
        using var connection = _file.Open();
        using var command = SqliteStateFile.Command(connection, "SELECT DISTINCT email FROM history");
        using var row = command.ExecuteReader();
        var list = new List<string>();
        while (row.Read())
        {
            list.Add(row.GetString(0));
        }

        return list;
    }

    /// <summary>A history line's fields as stored: JSON values.</summary>
    internal static IReadOnlyDictionary<string, object?> Fields(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)!.ToDictionary(kv => kv.Key, kv => (object?)kv.Value);

    private static DateTimeOffset Instant(string stamp) => DateTimeOffset.Parse(stamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
