using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Hosting;
using Acaso.Mail.Actors.Metrics;
using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue.Stores;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Sending;
using Acaso.Mail.Actors.Settings;
using Akka.Actor;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;

namespace Acaso.Mail.Actors.Bench;

/// <summary>The contenders and the measurements: everything runs against the real broker and one fake Brevo.</summary>
public sealed class Harness : IAsyncDisposable
{
    internal const string Key = "xkeysib-bench";
    internal static readonly Uri Broker = new(Environment.GetEnvironmentVariable("QUEUE_SERVICE_URL") ?? "amqp://guest:guest@localhost:5672/%2f");
    private static readonly TimeZoneInfo Zone = SettingsLoader.Defaults.Budget.Zone;

    private Harness(BrevoCaptureSink brevo) => Brevo = brevo;

    public BrevoCaptureSink Brevo { get; }

    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Acaso.Mail.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("Acaso.Mail.sln not found");
        }
    }

    public static async Task<Harness> StartAsync()
    {
        var brevo = new BrevoCaptureSink(requiredApiKey: Key, credits: int.MaxValue);
        await brevo.ListenAsync();
        return new Harness(brevo);
    }

    internal static QueueSettings NewQueue(string what, int maxPriority) =>
        new(Broker, $"bench-{what}-{Guid.NewGuid():N}", Durable: false, MaxPriority: maxPriority, PollInterval: TimeSpan.FromMilliseconds(100));

    internal static byte[] Body(int index) =>
        new MentoringMail(MailTemplate.ConfirmationToMentor, "Dr. Daniel Dias", "Ana Beatriz", null, "6f1c",
            TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow.AddDays(3), Zone), "Ana Beatriz", $"bench-{index}@example.org").ToBody();

    internal static int IndexOf(CapturedMail mail)
    {
        var at = mail.Body.IndexOf("bench-", StringComparison.Ordinal) + "bench-".Length;
        return int.Parse(mail.Body[at..mail.Body.IndexOf('@', at)], CultureInfo.InvariantCulture);
    }

    internal static async Task<Dictionary<int, byte>> PublishAsync(QueueSettings queue, int count, int offset = 0, Func<int, byte>? priority = null)
    {
        var random = new Random(offset + count);
        var priorities = new Dictionary<int, byte>();
        await using var publisher = await MailPublisher.ConnectAsync(queue);
        for (var i = offset; i < offset + count; i++)
        {
            var p = priority?.Invoke(i) ?? (byte)random.Next(1, 201);
            priorities[i] = p;
            await publisher.PublishAsync(Body(i), p);
        }

        return priorities;
    }

    internal static async Task DeleteAsync(QueueSettings queue)
    {
        var factory = new ConnectionFactory { Uri = Broker };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeleteAsync(queue.Name, false, false);
        await channel.QueueDeleteAsync(queue.DeadLetterQueue, false, false);
        // The durable inbox (a 255-level priority queue on disk): left behind, each one slows the broker's next boot.
        await channel.QueueDeleteAsync(queue.Inbox, false, false);
    }

    /// <summary>Messages a second between the first and the last request of a drain that Brevo accepted.</summary>
    private async Task<double> AwaitDrainAsync(int before, int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Brevo.Delivered.Count < before + count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"only {Brevo.Delivered.Count - before} of {count} mails reached Brevo");
            }

            await Task.Delay(20);
        }

        var drained = Brevo.Delivered.Skip(before).Take(count).ToList();
        var seconds = (drained.Max(m => m.At) - drained.Min(m => m.At)).TotalSeconds;
        return (count - 1) / Math.Max(seconds, 0.001);
    }

    /// <summary>The floor: RabbitMQ.Client (a consumer with prefetch) and HttpClient, nothing else.</summary>
    public async Task<double> RawLoopAsync(int count, int maxPriority, int parallelism)
    {
        var queue = NewQueue("raw", maxPriority);
        await PublishAsync(queue, count);
        var before = Brevo.Delivered.Count;
        using var http = new HttpClient();
        var uri = new Uri(Brevo.BaseUrl + "/smtp/email");
        var factory = new ConnectionFactory { Uri = Broker };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.BasicQosAsync(0, (ushort)parallelism, false);
        var acks = new SemaphoreSlim(1, 1);
        var consumer = new RabbitMQ.Client.Events.AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            var tag = delivery.DeliveryTag;
            _ = Task.Run(async () =>
            {
                var body = "{\"templateId\":7,\"to\":[{\"email\":\"raw@example.org\",\"name\":\"Raw\"}],\"params\":{},\"headers\":{\"idempotencyKey\":\""
                           + Guid.NewGuid() + "\"}}";
                using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                request.Headers.TryAddWithoutValidation("api-key", Key);
                using var response = await http.SendAsync(request);
                await acks.WaitAsync();
                try
                {
                    await channel.BasicAckAsync(tag, false);
                }
                finally
                {
                    acks.Release();
                }
            });
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(queue.Name, autoAck: false, consumer);
        var rate = await AwaitDrainAsync(before, count, TimeSpan.FromMinutes(5));
        await DeleteAsync(queue);
        return rate;
    }

    /// <summary>The old Python consumer's algorithm: basic.get (auto-ack), one POST at a time.</summary>
    public async Task<double> OldLoopAsync(int count)
    {
        var queue = NewQueue("old", 255);
        await PublishAsync(queue, count);
        var before = Brevo.Delivered.Count;
        using var http = new HttpClient();
        var uri = new Uri(Brevo.BaseUrl + "/smtp/email");
        var factory = new ConnectionFactory { Uri = Broker };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        while (await channel.BasicGetAsync(queue.Name, autoAck: true) is { } message)
        {
            var parsed = MailRequestParser.Parse(message.Body.Span, message.BasicProperties.Priority, DateTimeOffset.UtcNow);
            using var request = new HttpRequestMessage(HttpMethod.Post, uri)
            {
                Content = new ByteArrayContent(BrevoRequestRenderer.Render(parsed.Request!, new RenderOptions(Zone))),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.TryAddWithoutValidation("api-key", Key);
            using var response = await http.SendAsync(request);
        }

        var rate = await AwaitDrainAsync(before, count, TimeSpan.FromMinutes(10));
        await DeleteAsync(queue);
        return rate;
    }

    /// <summary>The built service as its own process in unlimited mode; its throughput on the first drain and its memory.</summary>
    public async Task<(double Rate, Memory Memory)> AcasoDrainAsync(int count, int maxPriority, int drains, bool inbox = false)
    {
        var queue = NewQueue("acaso", maxPriority);
        await PublishAsync(queue, count);
        var before = Brevo.Delivered.Count;
        var metricsPort = FreePort();
        var state = Directory.CreateTempSubdirectory("acaso-bench-").FullName;
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Acaso.Mail.Actors.dll"));
        info.ArgumentList.Add("run");
        foreach (var (name, value) in new Dictionary<string, string>
                 {
                     ["QUEUE_SERVICE_URL"] = Broker.ToString(), ["MAIL_QUEUE_NAME"] = queue.Name,
                     ["MAIL_QUEUE_MAX_PRIORITY"] = maxPriority.ToString(CultureInfo.InvariantCulture),
                     ["SENDINBLUE_URL"] = Brevo.BaseUrl.ToString(), ["SENDINBLUE_API_KEY"] = Key,
                     ["MAIL_DURABLE_INBOX"] = inbox ? "true" : "false",
                     ["MAIL_BUDGET_MODE"] = "unlimited", ["MAIL_RATE_PER_SECOND"] = "1000000", ["MAIL_SEND_PARALLELISM"] = "32",
                     ["MAIL_METRICS_PORT"] = metricsPort.ToString(CultureInfo.InvariantCulture), ["MAIL_STATE_DIR"] = state,
                     ["Logging__LogLevel__Default"] = "Warning",
                 })
        {
            info.Environment[name] = value;
        }

        using var service = Process.Start(info)!;
        service.OutputDataReceived += (_, _) => { };
        service.ErrorDataReceived += (_, _) => { };
        service.BeginOutputReadLine();
        service.BeginErrorReadLine();
        var peak = 0.0;
        var rate = 0.0;
        var afterDrains = new List<double>();
        try
        {
            for (var drain = 0; drain < drains; drain++)
            {
                if (drain > 0)
                {
                    before = Brevo.Delivered.Count;
                    await PublishAsync(queue, count, offset: drain * count);
                }

                var drainRate = await AwaitDrainAsync(before, count, TimeSpan.FromMinutes(5));
                if (drain == 0)
                {
                    rate = drainRate;
                }

                var (hwm, rss) = ReadMemory(service.Id);
                peak = Math.Max(peak, hwm);
                afterDrains.Add(rss);
            }
        }
        finally
        {
            service.Kill(entireProcessTree: true);
            await service.WaitForExitAsync();
            await DeleteAsync(queue);
            Directory.Delete(state, recursive: true);
        }

        return (rate, new Memory(peak, afterDrains.Last(), afterDrains));
    }

    /// <summary>The real actors in daily mode, windows of <paramref name="perWindow"/>, counting mail sent while a more urgent one waited.</summary>
    public async Task<(int Inversions, int Windows, int Sent)> PriorityExactnessAsync(int count, int perWindow, int urgentBetweenWindows)
    {
        var queue = NewQueue("exact", 255);
        var priorities = await PublishAsync(queue, count);
        using var http = new HttpClient();
        var brevoSettings = new BrevoSettings(Brevo.BaseUrl, new Secret(Key), false, TimeSpan.FromSeconds(10), 2,
            TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
        var client = new BrevoClient(http, brevoSettings);
        var budget = SettingsLoader.Defaults.Budget with { DailyLimit = 1_000_000, PerHour = perWindow };
        await using var host = await MailActorsHost.StartAsync(new MailActorsOptions(BudgetKeeperActor.Props(budget, client),
            new BrevoResilience(client, brevoSettings), Parallelism: 8, () => new RabbitPullQueue(queue, NullLogger<RabbitPullQueue>.Instance),
            new ReaderSettings(ParserOptions.Default, new RenderOptions(Zone), TimeSpan.FromMilliseconds(100)), new InMemoryFailedWindowStore(),
            SentLedger: null, new MailMetrics(Prometheus.Metrics.NewCustomRegistry()), new ServiceHealth()), logLevel: Akka.Event.LogLevel.WarningLevel);
        var (keeper, _, reader) = host.Actors;

        var sent = new HashSet<int>();
        var inversions = 0;
        var windows = 0;
        var next = count;
        var random = new Random(7);
        while (sent.Count < priorities.Count)
        {
            var waiting = priorities.Where(kv => !sent.Contains(kv.Key)).Select(kv => kv.Value).OrderByDescending(p => p).ToList();
            var before = Brevo.Delivered.Count;
            var expected = Math.Min(perWindow, waiting.Count);
            keeper.Tell(BudgetProtocol.HourlyTick.Instance);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (Brevo.Delivered.Count < before + expected && DateTime.UtcNow < deadline)
            {
                await Task.Delay(5);
            }

            await reader.Ask<QueueProtocol.Settled>(QueueProtocol.WhenSettled.Instance);

            var window = Brevo.Delivered.Skip(before).Select(IndexOf).ToList();
            windows++;
            if (window.Count > 0)
            {
                // The window should have taken the most urgent mail waiting at its grant.
                var threshold = waiting[window.Count - 1];
                inversions += window.Count(i => priorities[i] < threshold);
            }

            sent.UnionWith(window);
            if (windows % 10 == 0)
            {
                // More urgent mail arrives between windows: the next window must take it first.
                foreach (var (index, priority) in await PublishAsync(queue, urgentBetweenWindows, offset: next, priority: _ => (byte)random.Next(201, 256)))
                {
                    priorities[index] = priority;
                }

                next += urgentBetweenWindows;
            }
        }

        await DeleteAsync(queue);
        return (inversions, windows, sent.Count);
    }

    private static (double HighWaterMb, double ResidentMb) ReadMemory(int pid)
    {
        double Field(string name) => File.ReadLines($"/proc/{pid}/status")
            .Where(l => l.StartsWith(name + ":", StringComparison.Ordinal))
            .Select(l => double.Parse(l.Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024)
            .FirstOrDefault();
        return (Field("VmHWM"), Field("VmRSS"));
    }

    internal static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public ValueTask DisposeAsync() => Brevo.DisposeAsync();
}

/// <summary>The service process's memory: peak (VmHWM) and resident after each drain (VmRSS), in MiB.</summary>
public sealed record Memory(double PeakMb, double AfterDrainsMb, IReadOnlyList<double> AfterEachDrainMb);
