using System.Text.Json;
using Acaso.Mail.Actors.Storage;
using Npgsql;

namespace Acaso.Mail.Actors.Delivery;

/// <summary>
/// The suppression list, the histories and the rest of <see cref="IDeliveryStore"/> in the cluster's shared PostgreSQL
/// database (<c>MAIL_DATABASE_URL</c>): a bounce reported to one node suppresses the address on every node, and an event
/// Brevo retries against another node is still recorded once. Tables are prefixed <c>delivery_</c>.
/// </summary>
public sealed class PostgresDeliveryStore : IDeliveryStore
{
    private readonly NpgsqlDataSource _source;
    private readonly PostgresState _db;

    /// <summary>Creates the tables when missing.</summary>
    public PostgresDeliveryStore(NpgsqlDataSource source)
    {
        _source = source;
        _db = new PostgresState(source);
        _db.EnsureSchema("""
            CREATE TABLE IF NOT EXISTS delivery_suppressions (email text PRIMARY KEY, reason text NOT NULL, at timestamptz NOT NULL, source text NOT NULL);
            CREATE TABLE IF NOT EXISTS delivery_events_seen (message_id text NOT NULL, event text NOT NULL, ts bigint NOT NULL, email text NOT NULL,
                at timestamptz NOT NULL, PRIMARY KEY (message_id, event, ts, email));
            CREATE TABLE IF NOT EXISTS delivery_soft_streaks (email text PRIMARY KEY, count integer NOT NULL, first_at timestamptz NOT NULL);
            CREATE TABLE IF NOT EXISTS delivery_messages (message_id text PRIMARY KEY, template integer NOT NULL, at timestamptz NOT NULL);
            CREATE TABLE IF NOT EXISTS delivery_history (id bigserial PRIMARY KEY, email text NOT NULL, at timestamptz NOT NULL, kind text NOT NULL,
                fields text NOT NULL);
            CREATE INDEX IF NOT EXISTS delivery_history_by_email ON delivery_history (email, at);
            """);
    }

    /// <inheritdoc />
    public Suppression? Suppressed(string email) =>
        Suppressions("SELECT email, reason, at, source FROM delivery_suppressions WHERE email = @email", ("email", Suppression.Key(email))).SingleOrDefault();

    /// <inheritdoc />
    public async Task<Suppression?> SuppressedAsync(string email, CancellationToken cancellation) =>
        (await _db.QueryAsync("SELECT email, reason, at, source FROM delivery_suppressions WHERE email = @email", ReadSuppression, cancellation,
            ("email", Suppression.Key(email))).ConfigureAwait(false)).SingleOrDefault();

    /// <inheritdoc />
    public Task<IReadOnlyList<Suppression>> SuppressionsAsync(CancellationToken cancellation) =>
        _db.QueryAsync("SELECT email, reason, at, source FROM delivery_suppressions ORDER BY at, email", ReadSuppression, cancellation);

    /// <inheritdoc />
    public async Task<SuppressionSearch> SearchSuppressionsAsync(string? part, int page, int pageSize, CancellationToken cancellation)
    {
        var pattern = SuppressionSearch.Contains(part);
        var counts = (await _db.QueryAsync(
            "SELECT (SELECT count(*) FROM delivery_suppressions), (SELECT count(*) FROM delivery_suppressions WHERE email LIKE @pattern ESCAPE '\\')",
            row => (Total: (int)row.GetInt64(0), Matching: (int)row.GetInt64(1)), cancellation, ("pattern", pattern)).ConfigureAwait(false)).Single();
        var list = await _db.QueryAsync(
            "SELECT email, reason, at, source FROM delivery_suppressions WHERE email LIKE @pattern ESCAPE '\\' ORDER BY at DESC, email LIMIT @limit OFFSET @offset",
            ReadSuppression, cancellation, ("pattern", pattern), ("limit", pageSize), ("offset", (long)page * pageSize)).ConfigureAwait(false);
        return new SuppressionSearch(counts.Total, counts.Matching, list);
    }

    /// <inheritdoc />
    public Task SuppressAsync(Suppression suppression, CancellationToken cancellation) =>
        _db.ExecuteAsync(InsertSuppression, cancellation, SuppressionParameters(suppression));

    /// <inheritdoc />
    public async Task<bool> UnsuppressAsync(string email, CancellationToken cancellation)
    {
        var removed = await _db.ExecuteAsync(DeleteSuppression, cancellation, ("email", Suppression.Key(email))).ConfigureAwait(false) > 0;
        await _db.ExecuteAsync(DeleteStreak, cancellation, ("email", Suppression.Key(email))).ConfigureAwait(false);
        return removed;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<HistoryEntry>> HistoryAsync(string email, CancellationToken cancellation) =>
        _db.QueryAsync(HistoryOfAddress, AddressLine(email),
            cancellation, ("email", Suppression.Key(email)));

    /// <inheritdoc />
    public Task<IReadOnlyList<HistoryEntry>> HistorySinceAsync(string kind, DateTimeOffset from, CancellationToken cancellation) =>
        _db.QueryAsync(HistoryOfKind, KindLine(kind),
            cancellation, ("kind", kind), ("from", from.ToUniversalTime()));

    /// <inheritdoc />
    public void Suppress(Suppression suppression) =>
        _db.Execute(InsertSuppression, SuppressionParameters(suppression));

    /// <inheritdoc />
    public bool Unsuppress(string email)
    {
        var removed = _db.Execute(DeleteSuppression, ("email", Suppression.Key(email))) > 0;
        EndStreak(email);
        return removed;
    }

    /// <inheritdoc />
    public IReadOnlyList<Suppression> Suppressions() => Suppressions("SELECT email, reason, at, source FROM delivery_suppressions ORDER BY at, email");

    /// <inheritdoc />
    public bool FirstTime(DeliveryEvent delivery) =>
        _db.Execute("INSERT INTO delivery_events_seen (message_id, event, ts, email, at) VALUES (@id, @event, @ts, @email, @at) ON CONFLICT DO NOTHING",
            ("id", delivery.MessageId ?? ""), ("event", delivery.Event), ("ts", delivery.TsEpoch), ("email", delivery.Email),
            ("at", delivery.At.ToUniversalTime())) > 0;

    /// <inheritdoc />
    public int CountSoftBounce(string email, DateTimeOffset at, TimeSpan window) =>
        Convert.ToInt32(_db.Scalar(
            "INSERT INTO delivery_soft_streaks AS s (email, count, first_at) VALUES (@email, 1, @at) ON CONFLICT (email) DO UPDATE SET " +
            "count = CASE WHEN s.first_at < @cutoff THEN 1 ELSE s.count + 1 END, first_at = CASE WHEN s.first_at < @cutoff THEN @at ELSE s.first_at END " +
            "RETURNING count",
            ("email", Suppression.Key(email)), ("at", at.ToUniversalTime()), ("cutoff", (at - window).ToUniversalTime())), System.Globalization.CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public void EndStreak(string email) => _db.Execute(DeleteStreak, ("email", Suppression.Key(email)));

    /// <inheritdoc />
    public int? TemplateOf(string messageId) =>
        _db.Scalar("SELECT template FROM delivery_messages WHERE message_id = @id", ("id", messageId)) is int template ? template : null;

    /// <inheritdoc />
    public void Record(HistoryEntry entry) => RecordAll([(entry, null, null)]);

    /// <inheritdoc />
    public void RecordAll(IReadOnlyList<(HistoryEntry Entry, string? MessageId, int? Template)> lines)
    {
        if (lines.Count == 0)
        {
            return;
        }

        using var connection = _source.OpenConnection();
        using var transaction = connection.BeginTransaction();
        using var batch = new NpgsqlBatch(connection, transaction);
        // A history line lost to a crash of the database server within its last moments is not worth an fsync per batch.
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL synchronous_commit TO OFF"));
        foreach (var (entry, messageId, template) in lines)
        {
            if (messageId is not null && template is { } id)
            {
                batch.BatchCommands.Add(PostgresState.BatchCommand("INSERT INTO delivery_messages (message_id, template, at) VALUES (@id, @template, @at) ON CONFLICT DO NOTHING",
                    ("id", messageId), ("template", id), ("at", entry.At.ToUniversalTime())));
            }

            batch.BatchCommands.Add(PostgresState.BatchCommand("INSERT INTO delivery_history (email, at, kind, fields) VALUES (@email, @at, @kind, @fields)",
                ("email", Suppression.Key(entry.Email)), ("at", entry.At.ToUniversalTime()), ("kind", entry.Kind), ("fields", JsonSerializer.Serialize(entry.Fields))));
        }

        batch.ExecuteNonQuery();
        transaction.Commit();
    }

    /// <inheritdoc />
    public IReadOnlyList<HistoryEntry> History(string email) =>
        _db.Query(HistoryOfAddress, AddressLine(email),
            ("email", Suppression.Key(email)));

    /// <inheritdoc />
    public IReadOnlyList<HistoryEntry> HistorySince(string kind, DateTimeOffset from) =>
        _db.Query(HistoryOfKind, KindLine(kind),
            ("kind", kind), ("from", from.ToUniversalTime()));

    /// <inheritdoc />
    public int Purge(DateTimeOffset before)
    {
        var cutoff = ("cutoff", (object)before.ToUniversalTime());
        var removed = _db.Execute("DELETE FROM delivery_history WHERE at < @cutoff", cutoff);
        _db.Execute("DELETE FROM delivery_events_seen WHERE at < @cutoff", cutoff);
        _db.Execute("DELETE FROM delivery_messages WHERE at < @cutoff", cutoff);
        return removed;
    }

    /// <summary>
    /// Copies a single node's <c>delivery.db</c> under <paramref name="stateDir"/> (its suppression list, streaks and
    /// histories) into the shared tables once, then renames it <c>delivery.db.imported</c>; returns the suppressions copied.
    /// </summary>
    public int Import(string stateDir)
    {
        if (!File.Exists(Path.Combine(stateDir, "delivery.db")))
        {
            return 0;
        }

        var local = new SqliteDeliveryStore(stateDir);
        var suppressions = local.Suppressions();
        foreach (var suppression in suppressions)
        {
            Suppress(suppression);
        }

        var emails = local.HistoryEmails();
        foreach (var email in emails)
        {
            RecordAll(local.History(email).Select(h => (h, (string?)null, (int?)null)).ToList());
        }

        SqliteStateFile.Retire(stateDir, "delivery.db");
        return suppressions.Count;
    }

    private IReadOnlyList<Suppression> Suppressions(string sql, params (string Name, object Value)[] parameters) =>
        _db.Query(sql, ReadSuppression, parameters);

    private const string InsertSuppression =
        "INSERT INTO delivery_suppressions (email, reason, at, source) VALUES (@email, @reason, @at, @source) ON CONFLICT (email) DO NOTHING";

    private const string DeleteSuppression = "DELETE FROM delivery_suppressions WHERE email = @email";

    private const string DeleteStreak = "DELETE FROM delivery_soft_streaks WHERE email = @email";

    private const string HistoryOfAddress = "SELECT at, kind, fields FROM delivery_history WHERE email = @email ORDER BY at, id";

    private const string HistoryOfKind = "SELECT at, email, fields FROM delivery_history WHERE kind = @kind AND at >= @from ORDER BY at, id";

    private static (string Name, object Value)[] SuppressionParameters(Suppression suppression) =>
        [("email", Suppression.Key(suppression.Email)), ("reason", suppression.Reason), ("at", suppression.At.ToUniversalTime()), ("source", suppression.Source)];

    /// <summary>A row of <see cref="HistoryOfAddress"/>.</summary>
    private static Func<NpgsqlDataReader, HistoryEntry> AddressLine(string email) => row =>
        new HistoryEntry(row.GetFieldValue<DateTimeOffset>(0), Suppression.Key(email), row.GetString(1), SqliteDeliveryStore.Fields(row.GetString(2)));

    /// <summary>A row of <see cref="HistoryOfKind"/>.</summary>
    private static Func<NpgsqlDataReader, HistoryEntry> KindLine(string kind) => row =>
        new HistoryEntry(row.GetFieldValue<DateTimeOffset>(0), row.GetString(1), kind, SqliteDeliveryStore.Fields(row.GetString(2)));

    private static Suppression ReadSuppression(NpgsqlDataReader row) =>
        new(row.GetString(0), row.GetString(1), row.GetFieldValue<DateTimeOffset>(2), row.GetString(3));
}
