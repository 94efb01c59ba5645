using Npgsql;

namespace Acaso.Mail.Actors.Storage;

/// <summary>
/// The shared stores' access to PostgreSQL: one pooled data source, one statement a call. Each store creates its
/// own table when missing, as the SQLite stores do with their files.
/// </summary>
internal sealed class PostgresState(NpgsqlDataSource source)
{
    /// <summary>
    /// Creates tables when missing. Nodes starting together may race on <c>CREATE TABLE IF NOT EXISTS</c> (PostgreSQL
    /// then reports a duplicate type or relation): the loser finds the table made and goes on.
    /// </summary>
    public void EnsureSchema(string sql)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Execute(sql);
                return;
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable && attempt < 3)
            {
            }
        }
    }

    /// <summary>Runs one statement (or several, separated by semicolons) with the given parameters.</summary>
    public int Execute(string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>Runs a query and returns its first column of the first row, or null.</summary>
    public object? Scalar(string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    /// <summary><see cref="Execute"/> as an asynchronous call that a cancelled token stops on the server too.</summary>
    public async Task<int> ExecuteAsync(string sql, CancellationToken cancellation, params (string Name, object Value)[] parameters)
    {
        await using var command = Command(sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellation).ConfigureAwait(false);
    }

    /// <summary><see cref="Scalar"/> as an asynchronous call that a cancelled token stops on the server too.</summary>
    public async Task<object?> ScalarAsync(string sql, CancellationToken cancellation, params (string Name, object Value)[] parameters)
    {
        await using var command = Command(sql, parameters);
        var value = await command.ExecuteScalarAsync(cancellation).ConfigureAwait(false);
        return value is DBNull ? null : value;
    }

    /// <summary><see cref="Query{T}"/> as an asynchronous call that a cancelled token stops on the server too.</summary>
    public async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> read, CancellationToken cancellation,
        params (string Name, object Value)[] parameters)
    {
        await using var command = Command(sql, parameters);
        await using var row = await command.ExecuteReaderAsync(cancellation).ConfigureAwait(false);
        var list = new List<T>();
        while (await row.ReadAsync(cancellation).ConfigureAwait(false))
        {
            list.Add(read(row));
        }

        return list;
    }

    /// <summary>Runs a query and reads each row with <paramref name="read"/>.</summary>
    public IReadOnlyList<T> Query<T>(string sql, Func<NpgsqlDataReader, T> read, params (string Name, object Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        using var row = command.ExecuteReader();
        var list = new List<T>();
        while (row.Read())
        {
            list.Add(read(row));
        }

        return list;
    }

    /// <summary>One statement of a batch, with its parameters bound.</summary>
    public static NpgsqlBatchCommand BatchCommand(string sql, params (string Name, object Value)[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        Bind(command.Parameters, parameters);
        return command;
    }

    private NpgsqlCommand Command(string sql, (string Name, object Value)[] parameters)
    {
        var command = source.CreateCommand(sql);
        Bind(command.Parameters, parameters);
        return command;
    }

    private static void Bind(NpgsqlParameterCollection bound, (string Name, object Value)[] parameters)
    {
        foreach (var (name, value) in parameters)
        {
            bound.AddWithValue(name, value);
        }
    }
}
