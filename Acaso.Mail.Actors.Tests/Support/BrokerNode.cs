using System.Diagnostics;

namespace Acaso.Mail.Actors.Tests.Support;

/// <summary>
/// The shared RabbitMQ node itself, as an operator handles it: a full stop and start (not <c>stop_app</c>), a silent
/// partition of its port on loopback with iptables, a disk alarm. The specs that use it run alone (trait
/// <c>Isolation=BrokerRestart</c>), and undo what they did in a <c>finally</c>.
/// </summary>
public static class BrokerNode
{
    /// <summary>Stops the whole node (<c>rabbitmqctl stop</c>), then starts it again through <c>scripts/ensure-rabbitmq.sh</c> and waits until it serves.</summary>
    public static void Restart()
    {
        Run("rabbitmqctl", "stop");
        Start();
    }

    /// <summary>Starts the node when it is not running (and waits until it serves).</summary>
    public static void Start()
    {
        var (code, output) = Repository.Run("bash", Repository.Root, Repository.PathOf("scripts/ensure-rabbitmq.sh"));
        Assert.True(code == 0, $"scripts/ensure-rabbitmq.sh failed: {output}");
    }

    /// <summary>Drops every packet to and from the broker's port on loopback (no RST: a cable pulled, a frozen VM) until disposed.</summary>
    public static IDisposable Partition(int port = 5672)
    {
        string[][] rules =
        [
            ["INPUT", "-i", "lo", "-p", "tcp", "--dport", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-j", "DROP"],
            ["INPUT", "-i", "lo", "-p", "tcp", "--sport", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-j", "DROP"],
        ];
        var added = new List<string[]>();
        try
        {
            foreach (var rule in rules)
            {
                Run("iptables", ["-I", .. rule]);
                added.Add(rule);
            }
        }
        catch
        {
            Heal(added);
            throw;
        }

        return new Healer(() => Heal(added));
    }

    /// <summary>Sets the disk free limit above the free space, so the node raises a disk alarm and blocks publishers, until disposed.</summary>
    public static IDisposable DiskAlarm()
    {
        Run("rabbitmqctl", "set_disk_free_limit", "100000GB");
        return new Healer(() => Run("rabbitmqctl", "set_disk_free_limit", "50MB"));
    }

    /// <summary>
    /// Declares the dynamic shovel of <c>rabbitmq/inbox-shovel.json</c> (the one docker-compose declares), from
    /// <paramref name="source"/> to <paramref name="inbox"/>, enabling <c>rabbitmq_shovel</c> first; cleared when disposed.
    /// </summary>
    public static IDisposable InboxShovel(string source, string inbox)
    {
        Run("rabbitmq-plugins", "enable", "rabbitmq_shovel");
        var definition = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Repository.PathOf("rabbitmq/inbox-shovel.json")))!["value"]!;
        definition["src-queue"] = source;
        definition["dest-exchange-key"] = inbox;
        var name = source + "-inbox-shovel";
        Run("rabbitmqctl", "set_parameter", "shovel", name, definition.ToJsonString());
        return new Healer(() => Run("rabbitmqctl", "clear_parameter", "shovel", name));
    }

    private static void Heal(IEnumerable<string[]> rules)
    {
        foreach (var rule in rules)
        {
            Run("iptables", ["-D", .. rule]);
        }
    }

    private static void Run(string tool, params string[] args)
    {
        Process process;
        try
        {
            process = Process.Start(new ProcessStartInfo(tool, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{tool} is not on PATH: scripts/test.sh installs it (apt-get install -y rabbitmq-server iptables)", e);
        }

        using (process)
        {
            var error = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit(120_000);
            Assert.True(process.ExitCode == 0, $"{tool} {string.Join(' ', args)} failed ({process.ExitCode}): {error.Result}");
        }
    }

    private sealed class Healer(Action heal) : IDisposable
    {
        private int _healed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _healed, 1) == 0)
            {
                heal();
            }
        }
    }
}
