using Akka.Configuration;
using Npgsql;

namespace Acaso.Mail.Actors.Storage;

/// <summary>
/// The database the service's durable state lives in: SQLite files under the state dir (one node), or one PostgreSQL
/// database every node of a cluster shares. It names the Akka.Persistence.Sql (Linq2Db) provider for the budget
/// keeper's journal and snapshots, and opens the shared stores on PostgreSQL.
/// </summary>
/// <param name="Postgres">The PostgreSQL data source, or null for SQLite.</param>
/// <param name="ProviderName">The Linq2Db provider of the journal.</param>
/// <param name="ConnectionString">The journal's connection string.</param>
public sealed record MailDatabase(NpgsqlDataSource? Postgres, string ProviderName, string ConnectionString)
{
    /// <summary>The journal's file under the state dir when no PostgreSQL URL is given.</summary>
    public const string SqliteFile = "acaso-mail.db";

    /// <summary>The database <paramref name="postgres"/> names, or SQLite under <paramref name="stateDir"/> when it is null.</summary>
    public static MailDatabase For(Uri? postgres, string stateDir)
    {
        if (postgres is null)
        {
            Directory.CreateDirectory(stateDir);
            return new MailDatabase(null, LinqToDB.ProviderName.SQLiteMS, $"Data Source={Path.Combine(stateDir, SqliteFile)}");
        }

        var connection = NpgsqlConnectionString(postgres);
        return new MailDatabase(NpgsqlDataSource.Create(connection), LinqToDB.ProviderName.PostgreSQL15, connection);
    }

    /// <summary>A <c>postgresql://user:password@host:port/database</c> URL as an Npgsql connection string.</summary>
    public static string NpgsqlConnectionString(Uri url)
    {
        var user = url.UserInfo.Split(':', 2);
        return new NpgsqlConnectionStringBuilder
        {
            Host = url.Host,
            Port = url.IsDefaultPort || url.Port <= 0 ? 5432 : url.Port,
            Database = Uri.UnescapeDataString(url.AbsolutePath.TrimStart('/')),
            Username = user[0].Length > 0 ? Uri.UnescapeDataString(user[0]) : null,
            Password = user.Length > 1 ? Uri.UnescapeDataString(user[1]) : null,
            // A node that loses the database waits this long on a command before it fails (and its actor restarts).
            Timeout = 5,
            CommandTimeout = 10,
        }.ConnectionString;
    }

    /// <summary>Akka.Persistence.Sql as the journal and snapshot store, tables created when missing.</summary>
    public Config PersistenceConfig()
    {
        var connection = Quote(ConnectionString);
        var provider = Quote(ProviderName);
        return ConfigurationFactory.ParseString($$"""
            akka.persistence {
              journal {
                plugin = "akka.persistence.journal.sql"
                sql {
                  connection-string = {{connection}}, provider-name = {{provider}}, auto-initialize = true
                  # After a database outage the keeper writes again within seconds: the breaker lets a call through 2 s
                  # after it opened (the default waits 30 s), and a call gives up after 5 s.
                  circuit-breaker { max-failures = 5, call-timeout = 5s, reset-timeout = 2s }
                }
              }
              snapshot-store {
                plugin = "akka.persistence.snapshot-store.sql"
                sql {
                  connection-string = {{connection}}, provider-name = {{provider}}, auto-initialize = true
                  circuit-breaker { max-failures = 5, call-timeout = 5s, reset-timeout = 2s }
                }
              }
            }
            """).WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration);
    }

    /// <summary>
    /// One round trip to the database, to tell whether it answers: <c>SELECT 1</c> on PostgreSQL; on SQLite, the
    /// journal's file opened and read (a full or read-only disk, a deleted state dir). Throws when it does not answer.
    /// </summary>
    public void Probe()
    {
        if (Postgres is { } shared)
        {
            using var command = shared.CreateCommand("SELECT 1");
            command.CommandTimeout = 3;
            command.ExecuteScalar();
            return;
        }

        using var connection = new Microsoft.Data.Sqlite.SqliteConnection(ConnectionString);
        connection.Open();
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT count(*) FROM sqlite_master";
        read.ExecuteScalar();
    }

    /// <summary>
    /// Drops every pooled PostgreSQL connection (the shared stores' data source and the journal's pool, which Linq2Db
    /// opens by connection string): after the server went away, each idle one is broken, and would otherwise fail once
    /// when next used, one retry at a time.
    /// </summary>
    public void ClearPools()
    {
        if (Postgres is { } shared)
        {
            shared.Clear();
            NpgsqlConnection.ClearAllPools();
        }
    }

    /// <summary>Says which provider, never the connection string (it holds the password).</summary>
    public override string ToString() => $"MailDatabase {{ Provider = {ProviderName} }}";

    private static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
