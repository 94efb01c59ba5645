using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Acaso.Mail.Actors.Storage;

/// <summary>
/// One SQLite file under <c>MAIL_STATE_DIR</c>, for the small stores that must outlive the process (the budget's
/// daily count, the sent ledger, the failed-window counts). Each store owns its file, so none waits on another's lock.
/// </summary>
internal sealed class SqliteStateFile
{
    private readonly string _connectionString;
    private readonly string? _connectionPragmas;

    /// <summary>Creates <paramref name="stateDir"/> when missing; <paramref name="connectionPragmas"/> run on every open.</summary>
    public SqliteStateFile(string stateDir, string fileName, string? connectionPragmas = null)
    {
        Directory.CreateDirectory(stateDir);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(stateDir, fileName) }.ToString();
        _connectionPragmas = connectionPragmas;
    }

    /// <summary>An open connection (pooled by Microsoft.Data.Sqlite): dispose it when done.</summary>
    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        if (_connectionPragmas is not null)
        {
            using var pragma = connection.CreateCommand();
            pragma.CommandText = _connectionPragmas;
            pragma.ExecuteNonQuery();
        }

        return connection;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellation)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellation).ConfigureAwait(false);
        if (_connectionPragmas is not null)
        {
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = _connectionPragmas;
            await pragma.ExecuteNonQueryAsync(cancellation).ConfigureAwait(false);
        }

        return connection;
    }

    /// <summary>Runs one statement (or several, separated by semicolons) with the given parameters.</summary>
    public void Execute(string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = Open();
        using var command = Command(connection, sql, parameters);
        command.ExecuteNonQuery();
    }

    /// <summary>Runs a query and returns its first column of the first row, or null.</summary>
    public object? Scalar(string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = Open();
        using var command = Command(connection, sql, parameters);
        return command.ExecuteScalar();
    }

    /// <summary>
    /// <see cref="Execute"/> for a caller that can be cancelled. Microsoft.Data.Sqlite runs the statement synchronously
    /// (the file is local), so a caller on an actor's thread runs it through <see cref="StoreCall"/>, off that thread.
    /// </summary>
    public async Task ExecuteAsync(string sql, CancellationToken cancellation, params (string Name, object Value)[] parameters)
    {
        await using var connection = await OpenAsync(cancellation).ConfigureAwait(false);
        await using var command = Command(connection, sql, parameters);
        await command.ExecuteNonQueryAsync(cancellation).ConfigureAwait(false);
    }

    /// <summary><see cref="Scalar"/> for a caller that can be cancelled (see <see cref="ExecuteAsync"/>).</summary>
    public async Task<object?> ScalarAsync(string sql, CancellationToken cancellation, params (string Name, object Value)[] parameters)
    {
        await using var connection = await OpenAsync(cancellation).ConfigureAwait(false);
        await using var command = Command(connection, sql, parameters);
        return await command.ExecuteScalarAsync(cancellation).ConfigureAwait(false);
    }

    /// <summary>An instant as stored: UTC, ISO 8601 to the millisecond, so text order is time order.</summary>
    public static string Stamp(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    /// <summary>A command on <paramref name="connection"/> with its parameters bound.</summary>
    public static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }

    /// <summary>
    /// Reads every row of <paramref name="query"/> from the file <paramref name="fileName"/> a single node kept under
    /// <paramref name="stateDir"/> (an upgrade to a shared database), then <see cref="Retire"/>s it so it is read once;
    /// returns the rows read (0 when there is no such file).
    /// </summary>
    public static int ImportOnce(string stateDir, string fileName, string query, Action<SqliteDataReader> copy)
    {
        if (!File.Exists(Path.Combine(stateDir, fileName)))
        {
            return 0;
        }

        var rows = 0;
        using (var connection = new SqliteStateFile(stateDir, fileName).Open())
        {
            using var command = Command(connection, query);
            using var row = command.ExecuteReader();
            while (row.Read())
            {
                copy(row);
                rows++;
            }
        }

        Retire(stateDir, fileName);
        return rows;
    }

    /// <summary>Renames a file whose rows now live elsewhere to <c>&lt;name&gt;.imported</c>, and drops its WAL side files.</summary>
    public static void Retire(string stateDir, string fileName)
    {
        SqliteConnection.ClearAllPools();
        var path = Path.Combine(stateDir, fileName);
        File.Move(path, path + ".imported", overwrite: true);
        foreach (var side in new[] { "-wal", "-shm" })
        {
            File.Delete(path + side);
        }
    }
}
