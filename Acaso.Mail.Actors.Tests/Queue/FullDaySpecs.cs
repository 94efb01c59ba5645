using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Tests.Support;
using Akka.Actor;
using Akka.TestKit.Configs;
using static Acaso.Mail.Actors.Budget.BudgetProtocol;

namespace Acaso.Mail.Actors.Tests.Queue;

/// <summary>
/// Whole days in virtual time: the real actors, an in-memory priority queue, and the Brevo stand-in over HTTP on
/// loopback. The test is the clock: it moves the TestScheduler to each hour and sends the tick Quartz would send.
/// </summary>
public sealed class FullDaySpecs() : StandInSpecs(TestConfigs.TestSchedulerConfig)
{
    private readonly InMemoryMailQueue _queue = new();
    private readonly Dictionary<int, byte> _priorityOf = [];
    private DateTimeOffset _midnight;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _midnight = VirtualDay.StartNextDay(Sys, TimeSpan.FromSeconds(1));
    }

    /// <summary>Publishes mail as the old producer spread it: mentoring 1 to 10 days ahead, its priority 190 to 199.</summary>
    private void PublishDay(int count, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var mentoring = _midnight.AddDays(random.Next(1, 11)).AddMinutes(random.Next(0, 24 * 60));
            var priority = MentoringPriority.For(mentoring, _midnight);
            _priorityOf[i] = priority;
            _queue.Publish(Mails.Body(i, mentoring), priority);
        }
    }

    private Task<TestPipeline> Start(int dailyLimit = 300, int perHour = 12) =>
        Started(TestPipeline.StartAsync(() => _queue, TestPipeline.BrevoAt(Brevo.BaseUrl), TestPipeline.Budget(dailyLimit, perHour), Http, clockAt: _midnight.AddSeconds(1)));

    /// <summary>Sends one tick at <paramref name="at"/> and waits until the window's mail is settled.</summary>
    private async Task<List<byte>> RunWindowAsync(TestPipeline pipeline, DateTimeOffset at, object tick, int? expectedSends = null)
    {
        VirtualDay.MoveTo(pipeline.System, at);
        var before = Brevo.Delivered.Count;
        pipeline.Keeper.Tell(tick);
        if (expectedSends is { } expected)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (Brevo.Delivered.Count < before + expected && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }

            Assert.True(Brevo.Delivered.Count == before + expected,
                $"{Brevo.Delivered.Count - before} of {expected} sends; {Brevo.Requests} requests; " +
                $"reader {await pipeline.Reader.Ask<QueueProtocol.ReaderStatus>(QueueProtocol.GetStatus.Instance)}; " +
                $"keeper {await StatusAsync(pipeline)}; failures {pipeline.Sample("mails_fails_total")}");
        }

        await AwaitConditionAsync(async () => (await StatusAsync(pipeline)).InFlight == 0 && _queue.Unacked == 0, TimeSpan.FromSeconds(20),
            TimeSpan.FromMilliseconds(10));
        // The reader is quiet (no take under way, every mail taken settled): a reader that took one too many has sent it.
        await pipeline.SettledAsync();
        return Brevo.Delivered.Skip(before).Select(m => _priorityOf[Mails.IndexOf(m)]).ToList();
    }

    private static Task<BudgetStatus> StatusAsync(TestPipeline pipeline) => pipeline.Keeper.Ask<BudgetStatus>(GetStatus.Instance);

    [Fact]
    public async Task A_day_of_400_mails_should_send_12_an_hour_the_most_urgent_first_and_flush_to_300()
    {
        PublishDay(400, seed: 7);
        var pipeline = await Start();
        var remaining = _priorityOf.Values.OrderByDescending(p => p).ToList();
        for (var hour = 0; hour < 24; hour++)
        {
            var sent = await RunWindowAsync(pipeline, _midnight.AddHours(hour), HourlyTick.Instance, expectedSends: 12);
            Assert.Equal(12, sent.Count);
            // The window took the 12 most urgent mails still waiting.
            Assert.Equal(remaining.Take(12), sent.OrderByDescending(p => p));
            remaining = remaining.Skip(12).ToList();
        }

        Assert.Equal(288, Brevo.Delivered.Count);
        Assert.Equal(12, Brevo.Credits);
        var flush = await RunWindowAsync(pipeline, _midnight.AddHours(23).AddMinutes(5), EndOfDayTick.Instance, expectedSends: 12);
        Assert.Equal(remaining.Take(12), flush.OrderByDescending(p => p));

        Assert.Equal(300, Brevo.Delivered.Count);
        Assert.Equal(100, _queue.Count);
        Assert.Equal(300, (await StatusAsync(pipeline)).Spent);
        AwaitAssert(() => Assert.Equal(300, pipeline.Sample("mails_sent_total")));
        Assert.Empty(_queue.DeadLetters);
    }

    [Fact]
    public async Task A_day_of_50_mails_should_send_them_all_in_the_first_windows()
    {
        PublishDay(50, seed: 3);
        var pipeline = await Start();
        var perWindow = new List<int>();
        for (var hour = 0; hour < 6; hour++)
        {
            perWindow.Add((await RunWindowAsync(pipeline, _midnight.AddHours(hour), HourlyTick.Instance)).Count);
        }

        Assert.Equal([12, 12, 12, 12, 2, 0], perWindow);
        Assert.Equal(0, _queue.Count);
        Assert.Equal(50, Brevo.Delivered.Count);
    }

    [Fact]
    public async Task The_flush_should_send_only_what_Brevo_says_is_left_when_it_says_less()
    {
        PublishDay(100, seed: 5);
        var pipeline = await Start();
        await RunWindowAsync(pipeline, _midnight.AddHours(9), HourlyTick.Instance, expectedSends: 12);
        Brevo.Credits = 4;
        var flush = await RunWindowAsync(pipeline, _midnight.AddHours(23).AddMinutes(5), EndOfDayTick.Instance, expectedSends: 4);
        Assert.Equal(4, flush.Count);
        Assert.Equal(16, Brevo.Delivered.Count);
    }

    [Fact]
    public async Task Midnight_should_reset_the_count_so_the_next_day_sends_again()
    {
        PublishDay(60, seed: 9);
        var pipeline = await Start(dailyLimit: 24, perHour: 12);
        await RunWindowAsync(pipeline, _midnight.AddHours(20), HourlyTick.Instance, expectedSends: 12);
        await RunWindowAsync(pipeline, _midnight.AddHours(21), HourlyTick.Instance, expectedSends: 12);
        Assert.Empty(await RunWindowAsync(pipeline, _midnight.AddHours(22), HourlyTick.Instance));

        var nextDay = await RunWindowAsync(pipeline, _midnight.AddDays(1), HourlyTick.Instance, expectedSends: 12);
        Assert.Equal(12, nextDay.Count);
        Assert.Equal(12, (await StatusAsync(pipeline)).Spent);
    }

    [Fact]
    public async Task Bad_input_should_be_dead_lettered_without_spending_a_token()
    {
        PublishDay(20, seed: 1);
        _queue.Publish(Mails.Utf8("[1,2,3]"), 255);
        _queue.Publish(Mails.Utf8("{\"template\": 7"), 254);
        _queue.Publish(Mails.Body(999, _midnight.AddDays(-1)), 253);
        var pipeline = await Start();
        var sent = await RunWindowAsync(pipeline, _midnight.AddHours(8), HourlyTick.Instance, expectedSends: 12);

        Assert.Equal(12, sent.Count);
        // Each mail is carried by an actor of its own: their dead letters arrive as each one ends, not in take order.
        Assert.Equal(["not_an_object", "invalid_json", "expired"], _queue.DeadLetters.OrderByDescending(d => d.Priority).Select(d => d.Reason));
        AwaitAssert(() => Assert.Equal(1, pipeline.Sample("mail_dead_letters_total", "reason=\"expired\"")), TimeSpan.FromSeconds(3));
        Assert.Equal(12, (await StatusAsync(pipeline)).Spent);
    }
}
