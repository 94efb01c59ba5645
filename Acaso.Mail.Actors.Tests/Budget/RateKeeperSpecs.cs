using Acaso.Mail.Actors.Budget;
using Akka.Actor;
using Akka.TestKit.Configs;
using static Acaso.Mail.Actors.Budget.BudgetProtocol;

namespace Acaso.Mail.Actors.Tests.Budget;

/// <summary>The unlimited policy for paid plans: one variable, no daily cap, paced per second.</summary>
public sealed class RateKeeperSpecs() : Akka.TestKit.Xunit2.TestKit(TestConfigs.TestSchedulerConfig)
{
    [Fact]
    public void RateKeeper_should_grant_the_rate_every_second_with_no_daily_cap()
    {
        var settings = Acaso.Mail.Actors.Settings.SettingsLoader.Load(name => name switch
        {
            "MAIL_BUDGET_MODE" => "unlimited",
            "MAIL_RATE_PER_SECOND" => "50",
            "MAIL_DAILY_LIMIT" => "10",
            _ => null,
        });
        Assert.True(settings.Budget.Unlimited);
        var keeper = Sys.ActorOf(RateKeeperActor.Props(settings.Budget));
        keeper.Tell(new Subscribe(TestActor));
        var first = ExpectMsg<WindowOpened>();
        Assert.Equal(50, first.Tokens);

        // Spend far past MAIL_DAILY_LIMIT: unlimited mode has no cap.
        for (var second = 0; second < 3; second++)
        {
            var window = second == 0 ? first : ExpectMsg<WindowOpened>();
            for (var i = 0; i < 50; i++)
            {
                keeper.Tell(new Reserve(window.Window, (ulong)i));
                ExpectMsg<Reserved>();
                keeper.Tell(new Settle(window.Window, (ulong)i, Charged: true));
                ExpectMsg<Settled>();
            }

            keeper.Tell(new Reserve(window.Window, 99));
            Assert.Equal("window_spent", ExpectMsg<ReservationDenied>().Reason);
            ((Akka.TestKit.TestScheduler)Sys.Scheduler).Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(50, ExpectMsg<WindowOpened>().Tokens);
        keeper.Tell(GetStatus.Instance);
        Assert.Equal(150, ExpectMsg<BudgetStatus>().Spent);

        // The free plan's hourly tick means nothing here.
        keeper.Tell(HourlyTick.Instance);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void RateKeeper_should_lend_in_batches_within_the_window_and_want_no_settle_for_them()
    {
        var budget = Acaso.Mail.Actors.Tests.Support.TestPipeline.Budget() with { Unlimited = true, RatePerSecond = 25 };
        var keeper = Sys.ActorOf(RateKeeperActor.Props(budget));
        keeper.Tell(new Subscribe(TestActor));
        var window = ExpectMsg<WindowOpened>();

        // Three readers (nodes) ask for ten at a time: the window's 25 go 10, 10 and 5, then none.
        var lent = new List<int>();
        for (var reader = 0; reader < 3; reader++)
        {
            keeper.Tell(new Reserve(window.Window, (ulong)reader, Count: 10));
            var reserved = ExpectMsg<Reserved>();
            Assert.False(reserved.Settles);
            lent.Add(reserved.Count);
        }

        Assert.Equal([10, 10, 5], lent);
        keeper.Tell(new Reserve(window.Window, 9, Count: 10));
        Assert.Equal("window_spent", ExpectMsg<ReservationDenied>().Reason);
        keeper.Tell(GetStatus.Instance);
        Assert.Equal(25, ExpectMsg<BudgetStatus>().Spent);
    }
}
