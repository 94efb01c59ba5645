using Npgsql;

namespace Acaso.Mail.Actors.Tests.Support;

/// <summary>
/// A PostgreSQL database of its own for one spec, on the local server <c>scripts/ensure-postgres.sh</c> starts (role
/// <c>acaso</c>), dropped after the spec. <c>MAIL_TEST_POSTGRES</c> may name another server.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private static readonly Uri Server = new(Environment.GetEnvironmentVariable("MAIL_TEST_POSTGRES") ?? "postgresql://acaso:acaso@localhost:5432/postgres");

    private TestDatabase(string name)
    {
        Url = new Uri(Server, "/" + name);
        Shared = Acaso.Mail.Actors.Storage.MailDatabase.For(Url, Path.GetTempPath());
    }

    /// <summary>The database's <c>postgresql://</c> URL, as <c>MAIL_DATABASE_URL</c> takes it.</summary>
    public Uri Url { get; }

    /// <summary>The database as the service opens it (its journal settings and a pooled data source), closed on dispose.</summary>
    public Acaso.Mail.Actors.Storage.MailDatabase Shared { get; }

    /// <summary>The pooled data source the shared stores take.</summary>
    public NpgsqlDataSource Source => Shared.Postgres!;

    private string Name => Url.AbsolutePath.TrimStart('/');

    /// <summary>Creates a database named after <paramref name="prefix"/> and a fresh id.</summary>
    public static async Task<TestDatabase> CreateAsync(string prefix)
    {
        var database = new TestDatabase($"{prefix}_{Guid.NewGuid():N}");
        await AdminAsync($"CREATE DATABASE \"{database.Name}\"");
        return database;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Source.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        // FORCE ends the spec's own connections, but not an autovacuum worker (a superuser's backend) that happens to be
        // in the database: the drop is then refused with 42501 until the worker is done, a moment later.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await AdminAsync($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)");
                return;
            }
            catch (InvalidOperationException e) when (e.InnerException is PostgresException { SqlState: "42501" } && attempt < 20)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
        }
    }

    private static async Task AdminAsync(string sql)
    {
        try
        {
            await using var connection = new NpgsqlConnection(Acaso.Mail.Actors.Storage.MailDatabase.NpgsqlConnectionString(Server));
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException)
        {
            throw new InvalidOperationException(
                $"PostgreSQL is not reachable as {Server.Host}:{Server.Port} (role acaso): {e.Message}. The cluster specs need a real server: run " +
                "scripts/test.sh, or scripts/ensure-postgres.sh before `dotnet test` (it installs postgresql from apt, starts it and creates the role).", e);
        }
    }
}
