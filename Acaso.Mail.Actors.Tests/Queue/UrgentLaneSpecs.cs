using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Settings;
using Acaso.Mail.Actors.Tests.Support;
using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Configs;
using static Acaso.Mail.Actors.Budget.BudgetProtocol;

namespace Acaso.Mail.Actors.Tests.Queue;

/// <summary>The urgent lane in virtual time: the real actors, an in-memory queue, the Brevo stand-in over HTTP.</summary>
public sealed class UrgentLaneSpecs() : StandInSpecs(TestConfigs.TestSchedulerConfig)
{
    private static readonly UrgentSettings Lane = new(199, TimeSpan.FromSeconds(3));
    private readonly InMemoryMailQueue _queue = new();
    private DateTimeOffset _midnight;
    private int _next;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        // Start at 09:59:59 so the reader's three-second polls are not replayed through a whole night.
        _midnight = VirtualDay.StartNextDay(Sys, TimeSpan.FromHours(10).Subtract(TimeSpan.FromSeconds(1)));
    }

    private TestPipeline? _pipeline;

    private TestScheduler Clock => (TestScheduler)_pipeline!.System.Scheduler;

    private async Task<TestPipeline> Start(UrgentSettings lane) => _pipeline = await
        Started(TestPipeline.StartAsync(() => _queue, TestPipeline.BrevoAt(Brevo.BaseUrl), TestPipeline.Budget(), Http,
            pollInterval: TimeSpan.FromSeconds(3), urgent: lane, clockAt: _midnight.AddHours(10).Subtract(TimeSpan.FromSeconds(1))));

    private List<int> Publish(int count, byte priority)
    {
        var indexes = Enumerable.Range(_next, count).ToList();
        foreach (var i in indexes)
        {
            _queue.Publish(Mails.Body(i, Clock.Now.AddDays(1)), priority);
        }

        _next += count;
        return indexes;
    }

    private void Settle(TestPipeline pipeline)
    {
        AwaitCondition(() => !pipeline.Reader.Ask<QueueProtocol.ReaderStatus>(QueueProtocol.GetStatus.Instance).Result.Busy,
            TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(5));
        ExpectNoMsg(TimeSpan.FromMilliseconds(50));
        AwaitCondition(() => !pipeline.Reader.Ask<QueueProtocol.ReaderStatus>(QueueProtocol.GetStatus.Instance).Result.Busy,
            TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(5));
    }

    /// <summary>Moves the clock forward in the reader's poll steps, letting each poll finish.</summary>
    private void Advance(TestPipeline pipeline, TimeSpan by)
    {
        var target = Clock.Now + by;
        while (Clock.Now < target)
        {
            var step = target - Clock.Now < TimeSpan.FromSeconds(1) ? target - Clock.Now : TimeSpan.FromSeconds(1);
            Clock.Advance(step);
            Settle(pipeline);
        }
    }

    private void Window(TestPipeline pipeline, int hour, object? tick = null)
    {
        VirtualDay.MoveTo(_pipeline!.System, _midnight.AddHours(hour));
        pipeline.Keeper.Tell(tick ?? HourlyTick.Instance);
        Settle(pipeline);
    }

    private IEnumerable<int> Delivered => Brevo.Delivered.Select(Mails.IndexOf);

    private BudgetStatus Budget(TestPipeline pipeline) => pipeline.Keeper.Ask<BudgetStatus>(GetStatus.Instance).Result;

    /// <summary>Twelve mails at priority 190 spend the 10:00 window; the clock then stands at 10:05, between windows.</summary>
    private void SpendTheTenOClockWindowAndGoTo1005(TestPipeline pipeline)
    {
        Publish(12, 190);
        Window(pipeline, 10);
        VirtualDay.MoveTo(pipeline.System, _midnight.AddHours(10).AddMinutes(5));
        Settle(pipeline);
    }

    [Fact]
    public async Task An_urgent_mail_published_at_10_05_should_be_sent_within_the_poll_interval()
    {
        var pipeline = await Start(Lane);
        SpendTheTenOClockWindowAndGoTo1005(pipeline);
        Assert.Equal(12, Brevo.Delivered.Count);
        var urgent = Publish(1, 200).Single();
        Advance(pipeline, TimeSpan.FromSeconds(3));

        Assert.Contains(urgent, Delivered);
        var status = Budget(pipeline);
        Assert.Equal(1, status.Borrowed);
        AwaitAssert(() => Assert.Equal(1, pipeline.Sample("mail_urgent_sent_total", "borrowed=\"true\"")));
    }

    [Fact]
    public async Task Twenty_one_urgent_mails_at_10_05_should_send_12_at_once_none_at_11_and_the_rest_at_12()
    {
        var pipeline = await Start(Lane);
        SpendTheTenOClockWindowAndGoTo1005(pipeline);
        var urgent = Publish(21, 200);
        Advance(pipeline, TimeSpan.FromSeconds(10));
        Assert.Equal(12, Delivered.Count(urgent.Contains));

        Advance(pipeline, TimeSpan.FromMinutes(2));
        Assert.Equal(12, Delivered.Count(urgent.Contains));

        Window(pipeline, 11);
        Assert.Equal(0, Budget(pipeline).WindowGranted);
        Advance(pipeline, TimeSpan.FromSeconds(30));
        Assert.Equal(12, Delivered.Count(urgent.Contains));

        Window(pipeline, 12);
        Assert.Equal(21, Delivered.Count(urgent.Contains));
    }

    [Fact]
    public async Task A_priority_190_mail_should_wait_for_its_window_when_the_current_window_is_spent()
    {
        var pipeline = await Start(Lane);
        SpendTheTenOClockWindowAndGoTo1005(pipeline);
        var waiting = Publish(1, 190).Single();
        Advance(pipeline, TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(waiting, Delivered);
        Assert.Equal(1, _queue.Count);

        Window(pipeline, 11);
        Assert.Contains(waiting, Delivered);
    }

    [Fact]
    public async Task Non_urgent_mail_should_go_between_windows_only_on_tokens_its_window_left_unused()
    {
        var pipeline = await Start(Lane);
        Publish(5, 190);
        Window(pipeline, 10);
        Assert.Equal(5, Brevo.Delivered.Count);

        var late = Publish(9, 190);
        Advance(pipeline, TimeSpan.FromSeconds(6));
        Assert.Equal(7, Delivered.Count(late.Contains));
        Assert.Equal(2, _queue.Count);
        Assert.Equal(0, Budget(pipeline).Borrowed);
    }

    [Fact]
    public async Task The_lane_off_should_keep_the_old_policy_and_urgent_mail_waits_for_the_window()
    {
        var pipeline = await Start(UrgentSettings.Off);
        SpendTheTenOClockWindowAndGoTo1005(pipeline);
        var urgent = Publish(1, 200).Single();
        Advance(pipeline, TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(urgent, Delivered);

        Window(pipeline, 11);
        Assert.Equal(urgent, Delivered.Last(i => i == urgent));
        Assert.Equal(12, Budget(pipeline).WindowGranted);
    }

    [Fact]
    public async Task An_urgent_look_should_wait_while_another_readers_take_is_under_way_and_go_once_it_is_done()
    {
        var pipeline = await Start(Lane);
        SpendTheTenOClockWindowAndGoTo1005(pipeline);

        // Another node's reader has borrowed a token and is taking: a look now would hold the head while it takes.
        var other = CreateTestProbe(pipeline.System);
        var window = Budget(pipeline).Window;
        other.Send(pipeline.Keeper, new Reserve(window, 1, Urgent: true));
        other.FishForMessage(m => m is Reserved);
        var urgent = Publish(1, 200).Single();
        Advance(pipeline, TimeSpan.FromSeconds(3));
        Assert.DoesNotContain(urgent, Delivered);
        Assert.Equal(1, _queue.Count);

        // Its mail is sending, so its take is over: the look put off goes now, and the urgent mail borrows a token.
        other.Send(pipeline.Keeper, new Spending(window, 1, Guid.NewGuid()));
        Advance(pipeline, TimeSpan.FromSeconds(1));
        Assert.Contains(urgent, Delivered);
        Assert.Equal(2, Budget(pipeline).Borrowed);
    }

    [Fact]
    public async Task Expired_urgent_mail_should_be_dead_lettered_not_sent()
    {
        var pipeline = await Start(Lane);
        Publish(12, 190);
        Window(pipeline, 10);
        _queue.Publish(Mails.Body(900, Clock.Now.AddHours(-1)), 210);
        Advance(pipeline, TimeSpan.FromSeconds(3));
        Assert.Equal("expired", Assert.Single(_queue.DeadLetters).Reason);
        Assert.DoesNotContain(900, Delivered);
    }
}
