using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;

namespace Acaso.Mail.Actors.Tests.Support;

/// <summary>The built service (<c>Acaso.Mail.Actors.dll</c>) run as its own process, its output captured.</summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ServiceProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { _output.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { _output.Enqueue(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Everything it printed so far, stdout and stderr.</summary>
    public string Output => string.Join('\n', _output);

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public int Id => _process.Id;

    /// <summary>
    /// Starts <c>dotnet Acaso.Mail.Actors.dll args…</c> with these environment variables: the build beside the specs, or
    /// the one <c>MAIL_SERVICE_DLL</c> names (another commit's build, to measure it under the same specs).
    /// </summary>
    public static ServiceProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        StartBuild(System.Environment.GetEnvironmentVariable("MAIL_SERVICE_DLL") is { Length: > 0 } other
            ? other
            : Path.Combine(AppContext.BaseDirectory, "Acaso.Mail.Actors.dll"), environment, args);

    /// <summary>Starts <c>dotnet <paramref name="dll"/> args…</c>: a given build of the service (an older commit's, for an upgrade).</summary>
    public static ServiceProcess StartBuild(string dll, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        return new ServiceProcess(Process.Start(info)!);
    }

    // Ports are handed out below the kernel's ephemeral range (32768 to 60999 on Debian): a port the kernel chose for
    // bind(0) was also free to become the local port of any outgoing connection (to RabbitMQ, PostgreSQL, a stand-in)
    // before the service bound it, and a spec once failed on "address already in use" that way. Each port is handed
    // out once per run, from a random start so that two runs on one machine rarely meet. The range stays clear of
    // RabbitMQ's own (15672 management, 25672 inter-node): a broker restarted by a spec must find them free.
    private const int FirstPort = 16_000;
    private const int LastPort = 25_000;
    private static int _lastPort = FirstPort + Random.Shared.Next(LastPort - FirstPort);

    /// <summary>A TCP port free on every address now, below the ephemeral range, and not handed out before in this run.</summary>
    public static int FreePort()
    {
        for (var tries = 0; tries < LastPort - FirstPort; tries++)
        {
            var port = FirstPort + (Interlocked.Increment(ref _lastPort) - FirstPort) % (LastPort - FirstPort);
            try
            {
                // Dual-stack on every address, as Kestrel's ListenAnyIP and Akka.Remote's 0.0.0.0 bind it.
                var listener = TcpListener.Create(port);
                listener.Start();
                listener.Stop();
                return port;
            }
            catch (SocketException)
            {
                // Taken (by a port another program chose by number): the next one.
            }
        }

        throw new InvalidOperationException($"no free TCP port between {FirstPort} and {LastPort}");
    }

    /// <summary>Sends SIGTERM, as docker stop and systemd do.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Sends SIGKILL: no chance to clean up.</summary>
    public void KillHard() => _process.Kill(entireProcessTree: true);

    /// <summary>Waits for the process to exit; true when it did in time.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
