using System.Diagnostics;
using System.Globalization;

namespace Acaso.Mail.Actors.Tests.Support;

/// <summary>
/// A PostgreSQL server of one spec's own (Debian's binaries, <c>initdb</c> in a temporary folder, trust on loopback,
/// a free port), so the spec can stop, start and restart it without touching the server the other specs share.
/// <c>scripts/ensure-postgres.sh</c> installs the binaries.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _data;

    private PrivatePostgres(string bin, string data, int port)
    {
        _bin = bin;
        _data = data;
        Port = port;
    }

    /// <summary>The port it listens on, at 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The <c>postgresql://</c> URL of its database <c>acaso</c>, as <c>MAIL_DATABASE_URL</c> takes it.</summary>
    public Uri Url => new($"postgresql://acaso@127.0.0.1:{Port}/acaso");

    /// <summary>Makes the server's folder, starts it and creates the database <c>acaso</c>.</summary>
    public static async Task<PrivatePostgres> StartAsync()
    {
        var versions = Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql") : [];
        var bin = versions.Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb"))).Order().LastOrDefault()
            ?? throw new InvalidOperationException(
                "PostgreSQL's binaries are not installed (/usr/lib/postgresql/*/bin/initdb): run scripts/ensure-postgres.sh, or scripts/test.sh, first.");
        var data = Directory.CreateTempSubdirectory("acaso-pg-").FullName;
        var server = new PrivatePostgres(bin, data, ServiceProcess.FreePort());
        if (Environment.UserName == "root")
        {
            // initdb refuses to run as root: the server runs as Debian's postgres user, in a folder it owns.
            await server.RunAsync("chown", $"postgres {data}", asPostgres: false);
        }

        await server.RunAsync(Path.Combine(bin, "initdb"), $"-D {data} -U acaso --auth=trust -E UTF8 --no-sync");
        await File.AppendAllTextAsync(Path.Combine(data, "postgresql.conf"),
            $"\nport = {server.Port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{data}'\nfsync = off\nshared_buffers = 16MB\n");
        await server.StartServerAsync();
        await server.RunAsync(Path.Combine(bin, "createdb"), $"-h 127.0.0.1 -p {server.Port} -U acaso acaso");
        return server;
    }

    /// <summary>Starts the stopped server and waits until it accepts connections.</summary>
    public Task StartServerAsync() => RunAsync(Path.Combine(_bin, "pg_ctl"), $"-D {_data} -l {_data}/server.log -w -t 60 start");

    /// <summary>Stops the server (fast: connections are cut, as <c>pg_ctlcluster … stop -m fast</c> does).</summary>
    public Task StopAsync() => RunAsync(Path.Combine(_bin, "pg_ctl"), $"-D {_data} -m fast -w -t 60 stop");

    /// <summary>Restarts the server (fast), as <c>pg_ctlcluster … restart -m fast</c> does.</summary>
    public Task RestartAsync() => RunAsync(Path.Combine(_bin, "pg_ctl"), $"-D {_data} -l {_data}/server.log -m fast -w -t 60 restart");

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsync(Path.Combine(_bin, "pg_ctl"), $"-D {_data} -m immediate -w -t 30 stop");
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        Directory.Delete(_data, recursive: true);
    }

    private async Task RunAsync(string program, string arguments, bool asPostgres = true)
    {
        var root = Environment.UserName == "root";
        var info = asPostgres && root
            ? new ProcessStartInfo("su", ["postgres", "-s", "/bin/sh", "-c", $"{program} {arguments}"])
            : new ProcessStartInfo(program, arguments);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.WorkingDirectory = "/";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var said = await output + await error;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{Path.GetFileName(program)} {arguments} exited with {process.ExitCode}: {said}"));
        }
    }
}
