using System.Diagnostics;
using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Delivery;
using Acaso.Mail.Actors.Events;
using Acaso.Mail.Actors.Hosting;
using Acaso.Mail.Actors.Metrics;
using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue.Stores;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Sending;
using Acaso.Mail.Actors.Settings;
using Akka.Actor;
using Akka.Hosting;
using Akka.TestKit;

namespace Acaso.Mail.Actors.Simulation;

/// <summary>When mail arrives over the simulated day.</summary>
public enum Arrivals
{
    /// <summary>Evenly over the 24 hours.</summary>
    Uniform,

    /// <summary>Most between 07:00 and 11:00, the rest evenly.</summary>
    MorningPeak,

    /// <summary>All at 00:00.</summary>
    AllAtMidnight,
}

/// <summary>The dispatch policy to simulate.</summary>
public enum Policy
{
    /// <summary>The old consumer's: hourly windows and the end-of-day flush, no urgent lane.</summary>
    Seed,

    /// <summary>This service's: the same windows, plus the urgent lane.</summary>
    Current,
}

/// <summary>What to simulate.</summary>
/// <param name="Mails">Mails published over the day.</param>
/// <param name="DailyLimit">The daily limit.</param>
/// <param name="PerHour">Tokens per hourly window.</param>
/// <param name="Arrivals">When mail arrives.</param>
/// <param name="Policy">Which policy dispatches it.</param>
/// <param name="Seed">The random seed: the same seed gives the same day.</param>
/// <param name="UrgentPriority">The urgent threshold (the lane's, and the summary's meaning of urgent).</param>
/// <param name="BounceRate">
/// The share of addresses that bounce hard. Above 0, mail goes to a pool of a quarter as many addresses as mails (a
/// mentor or a mentee gets several mails), Brevo reports a hard bounce for each mail to a bouncing address, and the
/// suppression list is at work unless <paramref name="Suppression"/> is off.
/// </param>
/// <param name="Suppression">Whether bounced addresses go on the suppression list (off: to see what the list saves).</param>
public sealed record SimulationOptions(int Mails = 400, int DailyLimit = 300, int PerHour = 12, Arrivals Arrivals = Arrivals.MorningPeak,
    Policy Policy = Policy.Current, int Seed = 1, int UrgentPriority = 199, double BounceRate = 0, bool Suppression = true);

/// <summary>One window of the simulated day.</summary>
public sealed record WindowSummary(int Hour, string Kind, int Granted, int Sent, int? MaxPriority, int? MinPriority, int LeftToday);

/// <summary>What the simulated day came to.</summary>
/// <remarks><c>Bounced</c>: mails Brevo accepted and reported as hard bounces (each spent a credit); <c>Suppressed</c>: mails the
/// suppression list stopped before any token or Brevo call.</remarks>
public sealed record SimulationSummary(
    int Published, int Sent, int LeftInQueue, int DeadLettered, int CreditsUsed, int Urgent, int UrgentSent, int UrgentSentOnTime,
    double UrgentMeanWaitSeconds, IReadOnlyList<WindowSummary> Windows, IReadOnlyList<SimulatedSend> Sends, double RealSeconds,
    int Bounced = 0, int Suppressed = 0);

/// <summary>One mail sent in the simulation: when (virtual seconds after midnight) and at which priority.</summary>
public sealed record SimulatedSend(double At, byte Priority, double WaitSeconds, bool Urgent, bool OnTime);

/// <summary>
/// Runs the real BudgetKeeper, QueueReader and MailSenders over a whole day in virtual time (Akka's TestScheduler):
/// an in-memory priority queue stands in for RabbitMQ and <see cref="SimulatedBrevo"/> for Brevo. The actors start
/// through the service's own wiring (<see cref="MailActorsHost"/>). The simulator is
/// the clock: it moves to each arrival and tick, sends the ticks Quartz would send, and waits for the actors to
/// settle before moving on (asked, never polled). The producer's own priority function ranks the mail.
/// </summary>
public static class DaySimulator
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(3);

    /// <summary>Simulates one day.</summary>
    public static async Task<SimulationSummary> RunAsync(SimulationOptions options)
    {
        var clock = Stopwatch.StartNew();
        var defaults = SettingsLoader.Defaults;
        var zone = defaults.Budget.Zone;
        var brevo = new SimulatedBrevo(options.DailyLimit);
        // A patient attempt timeout: in a simulation a slow machine must not pass for a Brevo timeout.
        var brevoSettings = defaults.Brevo with { AttemptTimeout = TimeSpan.FromSeconds(60), RetryAttempts = 2, RetryBaseDelay = TimeSpan.FromMilliseconds(10) };
        var urgent = options.Policy == Policy.Current ? new UrgentSettings(options.UrgentPriority, Poll) : UrgentSettings.Off;
        var budget = defaults.Budget with { DailyLimit = options.DailyLimit, PerHour = options.PerHour };
        var queue = new InMemoryMailQueue();
        var metrics = new MailMetrics(Prometheus.Metrics.NewCustomRegistry());
        // Bounces need the Delivery role: its store in a scratch directory, gone with the simulation.
        using var scratch = options.BounceRate > 0 ? new ScratchDirectory() : null;
        var delivery = scratch is null ? null : new DeliveryOptions(new SqliteDeliveryStore(scratch.Path), new DeliverySettings());
        await using var host = await MailActorsHost.StartAsync(new MailActorsOptions(
                BudgetKeeperActor.Props(budget, brevo), new BrevoResilience(brevo, brevoSettings), Parallelism: 8, () => queue,
                new ReaderSettings(defaults.Contract, new RenderOptions(zone), Poll, defaults.Queue.MaxFailedWindows, urgent),
                new InMemoryFailedWindowStore(), SentLedger: null, metrics, new ServiceHealth(), delivery),
            hocon: """akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit" """,
            logLevel: Akka.Event.LogLevel.ErrorLevel).ConfigureAwait(false);
        var (keeper, _, reader) = host.Actors;
        var scheduler = (TestScheduler)host.System.Scheduler;
        var midnight = NextMidnight(scheduler.Now, zone);
        scheduler.AdvanceTo(midnight);
        var windowsOpened = System.Threading.Channels.Channel.CreateUnbounded<MailEvents.TokensGranted>();
        host.System.EventStream.Subscribe(
            host.System.ActorOf(Props.Create(() => new ForwardActor<MailEvents.TokensGranted>(windowsOpened.Writer))), typeof(MailEvents.TokensGranted));

        var random = new Random(options.Seed);
        var recipients = Recipients(options);
        var mails = Enumerable.Range(0, options.Mails).Select(i => MakeMail(random, i, midnight, options.Arrivals, zone, recipients.Address(i)))
            .OrderBy(m => m.At).ToList();
        var bounced = 0;
        var recorder = delivery is null ? null : ActorRegistry.For(host.System).Get<DeliveryActor>();
        if (recorder is not null)
        {
            brevo.Accepted = (email, messageId) =>
            {
                if (recipients.Bounces(email))
                {
                    Interlocked.Increment(ref bounced);
                    if (options.Suppression)
                    {
                        recorder.Tell(new DeliveryProtocol.Received([new DeliveryEvent("hard_bounce", email, messageId, scheduler.Now, null, "simulated", 0)]));
                    }
                }
            };
        }
        var byIndex = mails.ToDictionary(m => m.Index);
        var sends = new List<SimulatedSend>();
        var windows = new List<WindowSummary>();
        var ticks = Enumerable.Range(0, 24).Select(h => (At: TimeSpan.FromHours(h), Tick: (object)BudgetProtocol.HourlyTick.Instance))
            .Append((At: new TimeSpan(23, 5, 0), Tick: BudgetProtocol.EndOfDayTick.Instance))
            .ToList();
        var events = mails.Select(m => m.At).Concat(ticks.Select(t => t.At)).Distinct().Order().ToList();
        var next = 0;
        var nextTick = 0;

        void Collect(TimeSpan at)
        {
            foreach (var mentor in brevo.Mentors.Skip(sends.Count).ToList())
            {
                var mail = byIndex[IndexOf(mentor)];
                var isUrgent = mail.Priority >= options.UrgentPriority;
                sends.Add(new SimulatedSend(at.TotalSeconds, mail.Priority, (at - mail.At).TotalSeconds, isUrgent, midnight + at <= mail.Mentoring));
            }
        }

        // The keeper publishes a window once it has told its readers' lease holders, which pass it on to their reader: a hop
        // behind. Whether the reader holds the window is only in its status, so it is asked until it does.
        async Task ReaderHasWindowAsync()
        {
            var window = (await keeper.Ask<BudgetProtocol.BudgetStatus>(BudgetProtocol.GetStatus.Instance).ConfigureAwait(false)).Window;
            while ((await reader.Ask<QueueProtocol.ReaderStatus>(QueueProtocol.GetStatus.Instance).ConfigureAwait(false)).Window < window)
            {
                await Task.Yield();
            }
        }

        async Task SettleAsync()
        {
            await reader.Ask<QueueProtocol.Settled>(QueueProtocol.WhenSettled.Instance).ConfigureAwait(false);
            if (recorder is not null)
            {
                // The bounces reported meanwhile are on the list before the next take.
                await recorder.Ask<DeliveryProtocol.Done>(DeliveryProtocol.Flush.Instance).ConfigureAwait(false);
            }
        }

        // Between events the reader polls every three seconds: step through them while a poll could take mail (the
        // window has tokens left, or urgent mail waits at the head), and jump over the rest.
        async Task StepUntilAsync(DateTimeOffset target)
        {
            while (scheduler.Now + Poll <= target && queue.Count > 0)
            {
                var status = await reader.Ask<QueueProtocol.ReaderStatus>(QueueProtocol.GetStatus.Instance).ConfigureAwait(false);
                if (status.Permits == 0 && !(urgent.Enabled && queue.HeadPriority >= options.UrgentPriority))
                {
                    break;
                }

                scheduler.Advance(Poll);
                await SettleAsync().ConfigureAwait(false);
                Collect(scheduler.Now - midnight);
            }
        }

        foreach (var at in events)
        {
            await StepUntilAsync(midnight + at).ConfigureAwait(false);
            scheduler.AdvanceTo(midnight + at);
            // Timers that fell due on the way run before the mail of this instant arrives.
            await SettleAsync().ConfigureAwait(false);
            for (; next < mails.Count && mails[next].At == at; next++)
            {
                queue.Publish(mails[next].Body, mails[next].Priority);
            }

            for (; nextTick < ticks.Count && ticks[nextTick].At == at; nextTick++)
            {
                var before = sends.Count;
                keeper.Tell(ticks[nextTick].Tick);
                var granted = await windowsOpened.Reader.ReadAsync().ConfigureAwait(false);
                await ReaderHasWindowAsync().ConfigureAwait(false);
                await SettleAsync().ConfigureAwait(false);
                Collect(at);
                var windowSends = sends.Skip(before).ToList();
                var after = await keeper.Ask<BudgetProtocol.BudgetStatus>(BudgetProtocol.GetStatus.Instance).ConfigureAwait(false);
                windows.Add(new WindowSummary(at.Hours, granted.Kind, granted.Tokens, windowSends.Count,
                    windowSends.Count == 0 ? null : windowSends.Max(s => s.Priority),
                    windowSends.Count == 0 ? null : windowSends.Min(s => s.Priority), after.LeftToday));
            }

            await SettleAsync().ConfigureAwait(false);
            Collect(at);
        }

        // The rest of the day, until midnight.
        await StepUntilAsync(midnight.AddDays(1).AddSeconds(-1)).ConfigureAwait(false);

        var urgentMails = mails.Count(m => m.Priority >= options.UrgentPriority);
        var urgentSends = sends.Where(s => s.Urgent).ToList();
        return new SimulationSummary(options.Mails, sends.Count, queue.Count, queue.DeadLetters.Count, options.DailyLimit - brevo.Credits,
            urgentMails, urgentSends.Count, urgentSends.Count(s => s.OnTime),
            urgentSends.Count == 0 ? 0 : Math.Round(urgentSends.Average(s => s.WaitSeconds), 1),
            windows, sends, Math.Round(clock.Elapsed.TotalSeconds, 2), bounced, queue.DeadLetters.Count(d => d.Reason == "suppressed"));
    }

    private sealed record SimMail(int Index, TimeSpan At, DateTimeOffset Mentoring, byte Priority, byte[] Body);

    /// <summary>Who gets mail: one address a mail, or (with a bounce rate) a pool of a quarter as many, some of which bounce.</summary>
    private sealed record RecipientPool(int Size, IReadOnlySet<string> Bouncing)
    {
        public string Address(int index) => Size == 0 ? $"sim-{index}@example.org" : $"sim-{index % Size}@example.org";

        public bool Bounces(string email) => Bouncing.Contains(email);
    }

    private static RecipientPool Recipients(SimulationOptions options)
    {
        if (options.BounceRate <= 0)
        {
            return new RecipientPool(0, new HashSet<string>());
        }

        // A random of its own, so the day's arrivals and priorities stay those of the same seed without bounces.
        var size = Math.Max(1, options.Mails / 4);
        var random = new Random(options.Seed + 7919);
        return new RecipientPool(size, Enumerable.Range(0, size).Where(_ => random.NextDouble() < options.BounceRate)
            .Select(i => $"sim-{i}@example.org").ToHashSet());
    }

    private static SimMail MakeMail(Random random, int index, DateTimeOffset midnight, Arrivals arrivals, TimeZoneInfo zone, string recipient)
    {
        var at = arrivals switch
        {
            Arrivals.AllAtMidnight => TimeSpan.Zero,
            Arrivals.MorningPeak when random.NextDouble() < 0.6 => TimeSpan.FromSeconds(random.Next(7 * 3600, 11 * 3600)),
            _ => TimeSpan.FromSeconds(random.Next(0, 24 * 3600)),
        };
        var published = midnight + at;
        // As the old publisher: a mentoring 0 to 10 days ahead, at any time of that day.
        var mentoring = published.AddDays(random.Next(0, 11)).AddMinutes(random.Next(30, 24 * 60));
        var template = Enum.GetValues<MailTemplate>()[random.Next(5)];
        var mail = new MentoringMail(template, "Mentor " + index, "Mentee " + index, null, null, TimeZoneInfo.ConvertTime(mentoring, zone),
            "Mentee " + index, recipient);
        return new SimMail(index, at, mentoring, MentoringPriority.For(mentoring, published), mail.ToBody());
    }

    private static int IndexOf(string mentor) => int.Parse(mentor["Mentor ".Length..], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A directory of its own under the temp folder, deleted with everything in it.</summary>
    private sealed class ScratchDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("acaso-simulation-").FullName;

        public void Dispose()
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(Path, recursive: true);
        }
    }

    private static DateTimeOffset NextMidnight(DateTimeOffset now, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(now, zone);
        return new DateTimeOffset(local.Date.AddDays(1), zone.GetUtcOffset(local.Date.AddDays(1)));
    }

    /// <summary>Writes each event of type <typeparamref name="T"/> it gets into a channel the simulator awaits.</summary>
    private sealed class ForwardActor<T> : ReceiveActor
    {
        public ForwardActor(System.Threading.Channels.ChannelWriter<T> writer) => Receive<T>(e => writer.TryWrite(e));
    }
}
