using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Tests.Support;
using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Configs;
using static Acaso.Mail.Actors.Budget.BudgetProtocol;

namespace Acaso.Mail.Actors.Tests.Budget;

/// <summary>The BudgetKeeper alone, in virtual time, with Brevo's account answered by the stand-in over HTTP.</summary>
public sealed class BudgetKeeperSpecs() : StandInSpecs(TestConfigs.TestSchedulerConfig)
{
    private DateTimeOffset _midnight;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        // The spec is the keeper's reader here: it is told the budget on every change, which these specs do not read.
        IgnoreMessages<BudgetReport>();
        _midnight = VirtualDay.StartNextDay(Sys, TimeSpan.FromSeconds(1));
    }

    private IActorRef Keeper(int dailyLimit = 300, int perHour = 12, string key = "xkeysib-test", IBudgetStore? store = null)
    {
        var keeper = Sys.ActorOf(BudgetKeeperActor.Props(TestPipeline.Budget(dailyLimit, perHour),
            new BrevoClient(Http, TestPipeline.BrevoAt(Brevo.BaseUrl, key)), store));
        // The keeper grants nothing until it has read Brevo's credits.
        keeper.Tell(WhenStarted.Instance);
        ExpectMsg<KeeperStarted>(TimeSpan.FromSeconds(15));
        keeper.Tell(new Subscribe(TestActor));
        return keeper;
    }

    private int Spend(IActorRef keeper, WindowOpened window, int count, bool charged = true)
    {
        var reserved = 0;
        for (var i = 0; i < count; i++)
        {
            keeper.Tell(new Reserve(window.Window, (ulong)i));
            var answer = ExpectMsg<object>();
            if (answer is Reserved)
            {
                reserved++;
                keeper.Tell(new Settle(window.Window, (ulong)i, charged));
                ExpectMsg<Settled>();
            }
        }

        return reserved;
    }

    /// <summary>
    /// Moves the virtual clock past a stopped reader's grace until <paramref name="assertion"/> holds: the keeper hears of
    /// the stop (its <c>Terminated</c>) at a moment the spec cannot see, and its grace timer starts only then.
    /// </summary>
    private void AfterTheGrace(Action assertion) => AwaitAssert(() =>
    {
        ((Akka.TestKit.TestScheduler)Sys.Scheduler).Advance(TimeSpan.FromSeconds(6));
        assertion();
    });

    [Fact]
    public void BudgetKeeper_should_grant_per_hour_at_each_hourly_tick()
    {
        var keeper = Keeper();
        keeper.Tell(HourlyTick.Instance);
        var window = ExpectMsg<WindowOpened>();
        Assert.Equal(12, window.Tokens);
        Assert.Equal(WindowKind.Hourly, window.Kind);
    }

    [Fact]
    public void BudgetKeeper_should_never_grant_past_the_daily_limit()
    {
        var keeper = Keeper(dailyLimit: 20, perHour: 12);
        keeper.Tell(HourlyTick.Instance);
        Assert.Equal(12, Spend(keeper, ExpectMsg<WindowOpened>(), 12));
        keeper.Tell(HourlyTick.Instance);
        var second = ExpectMsg<WindowOpened>();
        Assert.Equal(8, second.Tokens);
        Assert.Equal(8, Spend(keeper, second, 12));
        keeper.Tell(HourlyTick.Instance);
        Assert.Equal(0, ExpectMsg<WindowOpened>().Tokens);
    }

    [Fact]
    public void BudgetKeeper_should_count_mails_in_flight_against_the_day()
    {
        var keeper = Keeper(dailyLimit: 15, perHour: 12);
        keeper.Tell(HourlyTick.Instance);
        var first = ExpectMsg<WindowOpened>();
        for (var i = 0; i < 10; i++)
        {
            keeper.Tell(new Reserve(first.Window, (ulong)i));
            ExpectMsg<Reserved>();
        }

        // Ten are still in flight: the next window may only grant what is left of 15.
        keeper.Tell(HourlyTick.Instance);
        Assert.Equal(5, ExpectMsg<WindowOpened>().Tokens);
    }

    [Fact]
    public void BudgetKeeper_should_refuse_a_token_of_a_lapsed_window()
    {
        var keeper = Keeper();
        keeper.Tell(HourlyTick.Instance);
        var first = ExpectMsg<WindowOpened>();
        keeper.Tell(HourlyTick.Instance);
        ExpectMsg<WindowOpened>();
        keeper.Tell(new Reserve(first.Window, 1));
        Assert.Equal("window_lapsed", ExpectMsg<ReservationDenied>().Reason);
    }

    [Fact]
    public void BudgetKeeper_should_not_spend_a_token_that_Brevo_did_not_charge()
    {
        var keeper = Keeper(perHour: 2);
        keeper.Tell(HourlyTick.Instance);
        var window = ExpectMsg<WindowOpened>();
        Assert.Equal(4, Spend(keeper, window, 4, charged: false));
        keeper.Tell(GetStatus.Instance);
        Assert.Equal(0, ExpectMsg<BudgetStatus>().Spent);
    }

    [Fact]
    public void BudgetKeeper_should_let_unused_tokens_lapse_into_the_end_of_day_flush()
    {
        var keeper = Keeper(dailyLimit: 300, perHour: 12);
        keeper.Tell(HourlyTick.Instance);
        Spend(keeper, ExpectMsg<WindowOpened>(), 5);
        keeper.Tell(EndOfDayTick.Instance);
        var flush = ExpectMsg<WindowOpened>(TimeSpan.FromSeconds(10));
        Assert.Equal(WindowKind.EndOfDay, flush.Kind);
        Assert.Equal(295, flush.Tokens);
    }

    [Fact]
    public void BudgetKeeper_should_trust_Brevo_when_it_reports_fewer_credits()
    {
        Brevo.Credits = 7;
        var keeper = Keeper();
        keeper.Tell(EndOfDayTick.Instance);
        Assert.Equal(7, ExpectMsg<WindowOpened>(TimeSpan.FromSeconds(10)).Tokens);
    }

    [Fact]
    public void BudgetKeeper_should_use_its_own_count_when_Brevo_cannot_say()
    {
        var keeper = Keeper(dailyLimit: 30, key: "wrong-key-for-the-account");
        keeper.Tell(HourlyTick.Instance);
        Spend(keeper, ExpectMsg<WindowOpened>(), 12);
        Brevo.Credits = 0;
        keeper.Tell(EndOfDayTick.Instance);
        Assert.Equal(18, ExpectMsg<WindowOpened>(TimeSpan.FromSeconds(10)).Tokens);
    }

    [Fact]
    public void BudgetKeeper_should_reset_the_count_at_midnight_in_its_zone()
    {
        var keeper = Keeper(dailyLimit: 12, perHour: 12);
        VirtualDay.MoveTo(Sys, _midnight.AddHours(23));
        keeper.Tell(HourlyTick.Instance);
        Assert.Equal(12, Spend(keeper, ExpectMsg<WindowOpened>(), 12));
        keeper.Tell(HourlyTick.Instance);
        Assert.Equal(0, ExpectMsg<WindowOpened>().Tokens);

        // 00:00 in Recife is 03:00 UTC: a new day there, whatever the UTC date says.
        VirtualDay.MoveTo(Sys, _midnight.AddDays(1).AddSeconds(1));
        keeper.Tell(HourlyTick.Instance);
        var next = ExpectMsg<WindowOpened>();
        Assert.Equal(12, next.Tokens);
        Assert.Equal(DateOnly.FromDateTime(_midnight.DateTime).AddDays(1), next.Day);
    }

    [Fact]
    public void BudgetKeeper_should_go_on_from_its_journal_after_a_restart()
    {
        var first = Keeper(dailyLimit: 10, perHour: 12);
        first.Tell(HourlyTick.Instance);
        var window = ExpectMsg<WindowOpened>();
        Assert.Equal(6, Spend(first, window, 6));
        // Two more leased and not settled when the keeper stops: they still count against the day.
        first.Tell(new Reserve(window.Window, 100));
        first.Tell(new Reserve(window.Window, 101));
        ExpectMsg<Reserved>();
        ExpectMsg<Reserved>();
        // The first went to Brevo; the second was still being taken.
        first.Tell(new Spending(window.Window, 100, Guid.NewGuid()));
        first.Tell(GetStatus.Instance);
        ExpectMsg<BudgetStatus>();
        Sys.Stop(first);

        // A new incarnation (on another node, in a cluster) recovers the day, the window and the loans from the journal.
        var second = Keeper(dailyLimit: 10, perHour: 12);
        // Its readers hear of the window it took over with what is left of it.
        Assert.Equal((window.Window, 2), (ExpectMsg<WindowOpened>() is var open ? (open.Window, open.Tokens) : default));
        second.Tell(GetStatus.Instance);
        var status = ExpectMsg<BudgetStatus>();
        Assert.Equal((6, 2, window.Window), (status.Spent, status.InFlight, status.Window));
        // A tick within the grace after the take-over still waits for their settles: they count as in flight.
        second.Tell(HourlyTick.Instance);
        Assert.Equal(2, ExpectMsg<WindowOpened>().Tokens);
        ((Akka.TestKit.TestScheduler)Sys.Scheduler).Advance(TimeSpan.FromSeconds(31));
        second.Tell(HourlyTick.Instance);
        // The two that never settled were written off as their window closed: the one sending as spent, the other given
        // back to the day, so the new window has the day's last 3 (10 - 7).
        Assert.Equal(3, ExpectMsg<WindowOpened>().Tokens);
        second.Tell(GetStatus.Instance);
        var after = ExpectMsg<BudgetStatus>();
        Assert.Equal((7, 0), (after.Spent, after.InFlight));
    }

    [Fact]
    public void BudgetKeeper_should_settle_the_leases_of_a_reader_that_stopped_after_a_grace()
    {
        var keeper = Keeper(dailyLimit: 20, perHour: 10);
        keeper.Tell(HourlyTick.Instance);
        var window = ExpectMsg<WindowOpened>();
        // A second reader (another node's) leases three tokens: one goes to Brevo, two are still being taken.
        var reader = CreateTestProbe();
        keeper.Tell(new Subscribe(reader.Ref));
        reader.FishForMessage(m => m is WindowOpened);
        for (ulong tag = 1; tag <= 3; tag++)
        {
            reader.Send(keeper, new Reserve(window.Window, tag));
            reader.FishForMessage(m => m is Reserved);
        }

        reader.Send(keeper, new Spending(window.Window, 1, Guid.NewGuid()));
        Sys.Stop(reader.Ref);
        keeper.Tell(GetStatus.Instance);
        Assert.Equal((0, 3, 3), ExpectMsg<BudgetStatus>() is var held ? (held.Spent, held.InFlight, held.WindowUsed) : default);

        // Within the grace its settles may still be on their way; after it, the keeper settles them itself.
        AfterTheGrace(() =>
        {
            keeper.Tell(GetStatus.Instance);
            var status = ExpectMsg<BudgetStatus>();
            // The one sending counts as spent (Brevo may have charged it); the other two go back to the window.
            Assert.Equal((1, 0, 1), (status.Spent, status.InFlight, status.WindowUsed));
        });
    }

    [Fact]
    public void BudgetKeeper_should_tell_a_reader_about_to_look_that_another_readers_take_is_under_way()
    {
        var keeper = Keeper(perHour: 4);
        keeper.Tell(HourlyTick.Instance);
        var window = ExpectMsg<WindowOpened>();
        var other = CreateTestProbe();
        keeper.Tell(new Subscribe(other.Ref));
        other.FishForMessage(m => m is WindowOpened);
        bool Busy(TestProbe asker)
        {
            asker.Send(keeper, CanSendUrgent.Instance);
            return ((UrgentCapacity)asker.FishForMessage(m => m is UrgentCapacity)).Busy;
        }

        void Lease(ulong tag)
        {
            other.Send(keeper, new Reserve(window.Window, tag));
            other.FishForMessage(m => m is Reserved);
        }

        var self = CreateTestProbe();
        Assert.False(Busy(self));
        // Another reader's take is under way (its lease granted, its mail not yet sending): a look now would meet it.
        Lease(1);
        Assert.True(Busy(self));
        // Its own lease never keeps a reader from looking.
        Assert.False(Busy(other));
        // The mail is sending: the take is over.
        other.Send(keeper, new Spending(window.Window, 1, Guid.NewGuid()));
        Assert.False(Busy(self));
        // A lease given back (the queue was empty) ends its take too.
        Lease(2);
        Assert.True(Busy(self));
        other.Send(keeper, new Settle(window.Window, 2, Charged: false));
        other.FishForMessage(m => m is Settled);
        Assert.False(Busy(self));
        // A lease held longer than a take can last no longer counts (its mail is held by its stores, not the queue).
        Lease(3);
        Assert.True(Busy(self));
        ((Akka.TestKit.TestScheduler)Sys.Scheduler).Advance(TimeSpan.FromSeconds(6));
        Assert.False(Busy(self));
    }

    [Fact]
    public void BudgetKeeper_should_not_count_a_dead_readers_send_that_another_send_of_the_same_mail_shows_was_never_charged()
    {
        var keeper = Keeper(dailyLimit: 20, perHour: 10);
        keeper.Tell(HourlyTick.Instance);
        var window = ExpectMsg<WindowOpened>();
        // A reader on a node about to die tells it is sending mails a and b, then dies before either reaches Brevo.
        var (a, b) = (Guid.NewGuid(), Guid.NewGuid());
        var dying = CreateTestProbe();
        keeper.Tell(new Subscribe(dying.Ref));
        dying.FishForMessage(m => m is WindowOpened);
        foreach (var (tag, mail) in new[] { (1UL, a), (2UL, b) })
        {
            dying.Send(keeper, new Reserve(window.Window, tag));
            dying.FishForMessage(m => m is Reserved);
            dying.Send(keeper, new Spending(window.Window, tag, mail));
        }

        Sys.Stop(dying.Ref);
        // Mail a comes back to this reader before the keeper settles the dead one's leases: Brevo accepts it as new.
        keeper.Tell(new Reserve(window.Window, 10));
        ExpectMsg<Reserved>();
        keeper.Tell(new Settle(window.Window, 10, Charged: true, Key: a, Accepted: true));
        ExpectMsg<Settled>();
        // The dead reader's send of a was not charged; its send of b may have been, so it counts for now.
        AfterTheGrace(() =>
        {
            keeper.Tell(GetStatus.Instance);
            Assert.Equal((2, 0), ExpectMsg<BudgetStatus>() is var status ? (status.Spent, status.InFlight) : default);
        });

        // Mail b comes back after that, and Brevo accepts it as new too: the dead reader's count of it is taken back.
        keeper.Tell(new Reserve(window.Window, 11));
        ExpectMsg<Reserved>();
        keeper.Tell(new Settle(window.Window, 11, Charged: true, Key: b, Accepted: true));
        ExpectMsg<Settled>();
        keeper.Tell(GetStatus.Instance);
        Assert.Equal(2, ExpectMsg<BudgetStatus>().Spent);
    }

    [Fact]
    public void BudgetKeeper_should_not_count_a_lease_of_yesterday_against_today()
    {
        var keeper = Keeper(dailyLimit: 12, perHour: 12);
        VirtualDay.MoveTo(Sys, _midnight.AddHours(23));
        keeper.Tell(HourlyTick.Instance);
        var window = ExpectMsg<WindowOpened>();
        keeper.Tell(new Reserve(window.Window, 7));
        ExpectMsg<Reserved>();

        VirtualDay.MoveTo(Sys, _midnight.AddDays(1).AddSeconds(1));
        keeper.Tell(HourlyTick.Instance);
        // The new day's window is whole: yesterday's token in flight counts against yesterday.
        Assert.Equal(12, ExpectMsg<WindowOpened>().Tokens);
        // Its settle, when it comes, is acknowledged and counts nowhere.
        keeper.Tell(new Settle(window.Window, 7, Charged: true));
        ExpectMsg<Settled>();
        keeper.Tell(GetStatus.Instance);
        Assert.Equal((0, 0), ExpectMsg<BudgetStatus>() is var status ? (status.Spent, status.InFlight) : default);
    }

    [Fact]
    public void BudgetKeeper_should_settle_a_token_lent_before_a_take_over_once()
    {
        var first = Keeper(dailyLimit: 10, perHour: 12);
        first.Tell(HourlyTick.Instance);
        var window = ExpectMsg<WindowOpened>();
        first.Tell(new Reserve(window.Window, 1));
        ExpectMsg<Reserved>();
        Sys.Stop(first);

        var second = Keeper(dailyLimit: 10, perHour: 12);
        Assert.Equal(9, ExpectMsg<WindowOpened>().Tokens);
        // The send ends on a surviving reader after the hand-over: charged once, not written off again.
        second.Tell(new Settle(window.Window, 1, Charged: true));
        ExpectMsg<Settled>();
        // Sent again (the reader did not hear back): settled once.
        second.Tell(new Settle(window.Window, 1, Charged: true));
        ExpectMsg<Settled>();
        second.Tell(HourlyTick.Instance);
        Assert.Equal(9, ExpectMsg<WindowOpened>().Tokens);
    }

    [Fact]
    public void BudgetKeeper_taking_over_should_not_count_twice_what_Brevo_charged_for_sends_still_under_way()
    {
        var first = Keeper();
        first.Tell(HourlyTick.Instance);
        var window = ExpectMsg<WindowOpened>();
        first.Tell(new Reserve(window.Window, 1));
        first.Tell(new Reserve(window.Window, 2));
        ExpectMsg<Reserved>();
        ExpectMsg<Reserved>();
        Sys.Stop(first);

        // Brevo has charged both sends; their settles have not reached the keeper yet.
        Brevo.Credits = 298;
        var second = Keeper();
        ExpectMsg<WindowOpened>();
        second.Tell(new Settle(window.Window, 1, Charged: true));
        second.Tell(new Settle(window.Window, 2, Charged: true));
        ExpectMsg<Settled>();
        ExpectMsg<Settled>();
        second.Tell(GetStatus.Instance);
        Assert.Equal((2, 0), ExpectMsg<BudgetStatus>() is var status ? (status.Spent, status.InFlight) : default);
    }

    [Fact]
    public void BudgetKeeper_should_import_the_count_an_earlier_version_kept_in_budget_db()
    {
        var dir = Directory.CreateTempSubdirectory("acaso-budget-").FullName;
        try
        {
            var legacy = new SqliteBudgetStore(dir);
            legacy.SaveSpent(DateOnly.FromDateTime(_midnight.DateTime), 6);
            var keeper = Keeper(dailyLimit: 10, perHour: 12, store: new SqliteBudgetStore(dir));
            keeper.Tell(HourlyTick.Instance);
            Assert.Equal(4, ExpectMsg<WindowOpened>().Tokens);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void BudgetKeeper_should_count_what_Brevo_says_was_charged_when_it_remembers_less()
    {
        Brevo.Credits = 294;
        var keeper = Keeper();
        keeper.Tell(GetStatus.Instance, TestActor);
        Assert.Equal(6, ExpectMsg<BudgetStatus>().Spent);
    }
}
