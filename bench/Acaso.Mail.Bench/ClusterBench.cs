using System.Diagnostics;
using System.Globalization;
using Acaso.Mail.Actors.Storage;
using Npgsql;

namespace Acaso.Mail.Actors.Bench;

/// <summary>
/// The cluster's figures: three service processes against one (unlimited mode, the same drain, the same run), and
/// the pause from a <c>kill -9</c> of the keeper's node to the next send (daily mode). PostgreSQL from
/// <c>scripts/ensure-postgres.sh</c> (role <c>acaso</c>) holds each run's database, dropped after.
/// </summary>
public sealed class ClusterBench(Harness harness)
{
    private static readonly Uri Server = new(Environment.GetEnvironmentVariable("MAIL_TEST_POSTGRES") ?? "postgresql://acaso:acaso@localhost:5432/postgres");

    /// <summary>
    /// Mails a second drained by one node alone, by three clustered nodes, and by three nodes that are not a cluster (each
    /// its own keeper, so three times the rate: what three processes on these cores cost, apart from the cluster's share);
    /// each started and ready before the publish.
    /// </summary>
    public async Task<(double One, double Three, double ThreeApart)> ThroughputAsync(int count)
    {
        var one = await DrainAsync(count, nodes: 1, clustered: false);
        var three = await DrainAsync(count, nodes: 3, clustered: true);
        var apart = await DrainAsync(count, nodes: 3, clustered: false);
        return (one, three, apart);
    }

    /// <summary>Seconds from the <c>kill -9</c> of the keeper's node to the first send that started after it.</summary>
    public async Task<double> FailoverPauseAsync()
    {
        var queue = Harness.NewQueue("failover", 255);
        await Harness.PublishAsync(queue, 300);
        await using var database = await Database.CreateAsync();
        var nodes = await StartAsync(queue, database.Url, 3, new()
        {
            ["SENDINBLUE_MAILS_PER_HOUR"] = "5", ["MAIL_HOURLY_CRON"] = "0/2 * * * * ?",
        });
        try
        {
            await WaitAsync(() => Task.FromResult(harness.Brevo.Delivered.Count >= 10), TimeSpan.FromSeconds(90), "the first sends");
            Node? keeper = null;
            await WaitAsync(async () =>
            {
                foreach (var node in nodes)
                {
                    if (await node.MetricAsync("mail_budget_keeper_here") == 1)
                    {
                        keeper = node;
                        return true;
                    }
                }

                return false;
            }, TimeSpan.FromSeconds(30), "the keeper's node");
            keeper!.Process.Kill(entireProcessTree: true);
            var killedAt = DateTimeOffset.UtcNow;
            // A send already under way on a survivor may end just after the kill; a send that starts a second later needs the new keeper.
            var after = killedAt.AddSeconds(1);
            await WaitAsync(() => Task.FromResult(harness.Brevo.Delivered.Any(m => m.At > after)), TimeSpan.FromSeconds(120), "a send after the kill");
            return (harness.Brevo.Delivered.Where(m => m.At > after).Min(m => m.At) - killedAt).TotalSeconds;
        }
        finally
        {
            await StopAsync(nodes);
            await Harness.DeleteAsync(queue);
        }
    }

    private async Task<double> DrainAsync(int count, int nodes, bool clustered)
    {
        var queue = Harness.NewQueue($"cluster{nodes}", 255);
        await using var database = clustered ? await Database.CreateAsync() : null;
        var started = await StartAsync(queue, database?.Url, nodes, new()
        {
            ["MAIL_BUDGET_MODE"] = "unlimited", ["MAIL_RATE_PER_SECOND"] = "1000000", ["MAIL_SEND_PARALLELISM"] = "32", ["MAIL_DURABLE_INBOX"] = "false",
        });
        try
        {
            var before = harness.Brevo.Delivered.Count;
            await Harness.PublishAsync(queue, count);
            await WaitAsync(() => Task.FromResult(harness.Brevo.Delivered.Count >= before + count), TimeSpan.FromMinutes(10), $"{count} mails");
            var drained = harness.Brevo.Delivered.Skip(before).ToList();
            return count / (drained.Max(m => m.At) - drained.Min(m => m.At)).TotalSeconds;
        }
        finally
        {
            await StopAsync(started);
            await Harness.DeleteAsync(queue);
        }
    }

    private async Task<List<Node>> StartAsync(Acaso.Mail.Actors.Settings.QueueSettings queue, Uri? database, int count, Dictionary<string, string> extra)
    {
        var remotePorts = Enumerable.Range(0, count).Select(_ => Harness.FreePort()).ToList();
        var nodes = new List<Node>();
        for (var i = 0; i < count; i++)
        {
            var environment = new Dictionary<string, string>(extra)
            {
                ["QUEUE_SERVICE_URL"] = Harness.Broker.ToString(), ["MAIL_QUEUE_NAME"] = queue.Name,
                ["SENDINBLUE_URL"] = harness.Brevo.BaseUrl.ToString(), ["SENDINBLUE_API_KEY"] = Harness.Key,
                ["Logging__LogLevel__Default"] = "Warning",
            };
            if (database is not null)
            {
                environment["MAIL_DATABASE_URL"] = database.ToString();
                environment["MAIL_CLUSTER_SEEDS"] = string.Join(",", remotePorts.Select(p => $"127.0.0.1:{p}"));
                environment["MAIL_CLUSTER_HOSTNAME"] = "127.0.0.1";
                environment["MAIL_CLUSTER_PORT"] = remotePorts[i].ToString(CultureInfo.InvariantCulture);
                environment["MAIL_CLUSTER_STABLE_AFTER"] = "5s";
            }

            var node = Node.Start(environment);
            nodes.Add(node);
            await WaitAsync(node.ReadyAsync, TimeSpan.FromSeconds(90), "a node to be ready");
        }

        return nodes;
    }

    private static async Task StopAsync(IEnumerable<Node> nodes)
    {
        foreach (var node in nodes)
        {
            await node.DisposeAsync();
        }
    }

    internal static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for {what}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>One service process with its own metrics port and state folder.</summary>
    internal sealed class Node : IAsyncDisposable
    {
        private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

        private Node(Process process, int metricsPort, string state)
        {
            Process = process;
            MetricsPort = metricsPort;
            State = state;
        }

        public Process Process { get; }

        private int MetricsPort { get; }

        private string State { get; }

        public static Node Start(Dictionary<string, string> environment)
        {
            var metricsPort = Harness.FreePort();
            var state = Directory.CreateTempSubdirectory("acaso-bench-node-").FullName;
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Acaso.Mail.Actors.dll"));
            info.ArgumentList.Add("run");
            foreach (var (name, value) in environment)
            {
                info.Environment[name] = value;
            }

            info.Environment["MAIL_METRICS_PORT"] = metricsPort.ToString(CultureInfo.InvariantCulture);
            info.Environment["MAIL_STATE_DIR"] = state;
            var process = System.Diagnostics.Process.Start(info)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return new Node(process, metricsPort, state);
        }

        public async Task<bool> ReadyAsync()
        {
            try
            {
                return await Http.GetStringAsync(new Uri($"http://127.0.0.1:{MetricsPort}/readyz")) == "ready";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }

        public async Task<double> MetricAsync(string series)
        {
            try
            {
                var line = (await Http.GetStringAsync(new Uri($"http://127.0.0.1:{MetricsPort}/metrics")))
                    .Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
                return line is null ? -1 : double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return -1;
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                await Process.WaitForExitAsync();
            }

            Process.Dispose();
            Directory.Delete(State, recursive: true);
        }
    }

    /// <summary>A database of its own for one measurement.</summary>
    private sealed class Database : IAsyncDisposable
    {
        private Database(string name) => Url = new Uri(Server, "/" + name);

        public Uri Url { get; }

        public static async Task<Database> CreateAsync()
        {
            var database = new Database($"bench_{Guid.NewGuid():N}");
            await AdminAsync($"CREATE DATABASE \"{database.Url.AbsolutePath.TrimStart('/')}\"");
            return database;
        }

        public async ValueTask DisposeAsync()
        {
            NpgsqlConnection.ClearAllPools();
            await AdminAsync($"DROP DATABASE IF EXISTS \"{Url.AbsolutePath.TrimStart('/')}\" WITH (FORCE)");
        }

        private static async Task AdminAsync(string sql)
        {
            await using var connection = new NpgsqlConnection(MailDatabase.NpgsqlConnectionString(Server));
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
    }
}
