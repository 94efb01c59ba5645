using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Settings;
using static Acaso.Mail.Actors.Budget.BudgetProtocol;
using static Acaso.Mail.Actors.Budget.KeeperEvents;
using static Acaso.Mail.Actors.Tests.Budget.KeeperBookSpecs;

namespace Acaso.Mail.Actors.Tests.Budget;

/// <summary>
/// The keeper's pure decisions (<see cref="KeeperRules.Decide"/>): a table of books × command → the events to journal
/// and the answer, on a day of 20 with windows of 12 and one window's borrowing (books as in <see cref="KeeperBookSpecs"/>).
/// </summary>
public sealed class KeeperRulesSpecs
{
    private static readonly BudgetSettings Settings = new(DailyLimit: 20, PerHour: 12, TimeZoneInfo.Utc, "0 0 * * * ?", "0 0 23 * * ?", UrgentBorrowWindows: 1);

    private static string Describe(IKeeperEvent happened) => happened switch
    {
        DayBegan began => $"day {began.Day:MM-dd}",
        WindowBegan window => $"window {window.Window} {window.Kind}: {window.Tokens}, repaid {window.Repaid}",
        TokenLeased leased => $"leased {leased.Lease}@{leased.Window}{(leased.Borrowed ? "B" : "")}",
        LeaseSending sending => $"sending {sending.Lease}",
        LeaseSettled settled => $"settled {settled.Lease}@{settled.Window}{(settled.Borrowed ? "B" : "")} {(settled.Charged ? "charged" : "free")}",
        LeasesReleased released => $"released {string.Join(",", released.Leases)}",
        SpentCounted counted => $"spent {counted.Spent}",
        _ => happened.GetType().Name,
    };

    private static string Describe(KeeperDecision decision) =>
        string.Join("; ", decision.Events.Select(Describe)) + " → " + decision.Answer switch
        {
            null => "-",
            Reserved reserved => reserved.Borrowed ? "reserved borrowed" : "reserved",
            ReservationDenied denied => "denied " + denied.Reason,
            Settled => "settled",
            var other => other.GetType().Name,
        };

    private static KeeperRules.Lease Ask(long window, bool urgent = false) => new("reader a", new Reserve(window, 1, urgent));

    public static TheoryData<string, KeeperBook, KeeperRules.ICommand, string> DecideTable => new()
    {
        // Reserve
        { "a token of the open window", Book(used: 3), Ask(2), "leased reader a@2 → reserved" },
        { "an urgent mail takes the window's token before borrowing", Book(used: 3), Ask(2, urgent: true), "leased reader a@2 → reserved" },
        { "the window is spent", Book(used: 12), Ask(2), " → denied window_spent" },
        { "the window has lapsed", Book(used: 3), Ask(1), " → denied window_lapsed" },
        { "urgent mail borrows from the coming window", Book(used: 12), Ask(2, urgent: true), "leased reader a@2B → reserved borrowed" },
        { "urgent mail of a lapsed window borrows too", Book(used: 3), Ask(1, urgent: true), "leased reader a@2B → reserved borrowed" },
        { "urgent mail may not run more than a window ahead", Book(used: 12, borrowed: 12), Ask(2, urgent: true), " → denied borrow_limit" },
        { "a window that repaid borrowing counts as ahead", Book(used: 12, borrowed: 4, repaid: 8), Ask(2, urgent: true), " → denied borrow_limit" },
        { "the day's limit counts tokens in flight", Book(spent: 18, used: 3, leases: [L("b@2"), L("c@2")]), Ask(2, urgent: true), " → denied daily_limit" },
        { "yesterday's tokens in flight do not count today", Book(spent: 19, used: 3, leases: [L("b@1-1")]), Ask(2), "leased reader a@2 → reserved" },
        // Ticks
        { "an hourly window", Book(), KeeperRules.OpenHourly.Instance, "window 3 Hourly: 12, repaid 0 → -" },
        { "an hourly window repays the debt", Book(borrowed: 5), KeeperRules.OpenHourly.Instance, "window 3 Hourly: 7, repaid 5 → -" },
        { "a debt larger than a window carries on", Book(spent: 0, borrowed: 15), KeeperRules.OpenHourly.Instance, "window 3 Hourly: 0, repaid 12 → -" },
        { "an hourly window never passes the day's limit", Book(spent: 15, leases: [L("b@2")]), KeeperRules.OpenHourly.Instance, "window 3 Hourly: 4, repaid 0 → -" },
        { "the flush spends what is left", Book(spent: 8, leases: [L("b@2")]), new KeeperRules.OpenEndOfDay(null), "window 3 EndOfDay: 11, repaid 0 → -" },
        { "the flush spends no more than Brevo has", Book(spent: 8), new KeeperRules.OpenEndOfDay(5), "window 3 EndOfDay: 5, repaid 0 → -" },
        { "Brevo's larger credit does not pass the day's limit", Book(spent: 8), new KeeperRules.OpenEndOfDay(290), "window 3 EndOfDay: 12, repaid 0 → -" },
        // Spending, settle, release
        { "a lease goes to Brevo", Book(leases: [L("a@2")]), new KeeperRules.MarkSending("reader a", KeeperBookSpecs.Mail), "sending reader a → -" },
        { "a lease already sending", Book(leases: [L("a@2S")]), new KeeperRules.MarkSending("reader a", KeeperBookSpecs.Mail), " → -" },
        { "an unknown lease's spending", Book(), new KeeperRules.MarkSending("reader a", KeeperBookSpecs.Mail), " → -" },
        { "a settle", Book(leases: [L("a@2S")]), new KeeperRules.SettleLease("reader a", new Settle(2, 1, true, Key: KeeperBookSpecs.Mail, Accepted: true)), "settled reader a@2 charged → settled" },
        { "a settle's window and loan are the keeper's record, not the reader's echo", Book(leases: [L("a@2B")]), new KeeperRules.SettleLease("reader a", new Settle(1, 1, Charged: false)), "settled reader a@2B free → settled" },
        { "a settle sent again is acknowledged, counted once", Book(), new KeeperRules.SettleLease("reader a", new Settle(2, 1, true)), " → settled" },
        { "only leases still out are released", Book(leases: [L("b@2"), L("a@2S")]), new KeeperRules.Release(["reader z", "reader b", "reader a"]), "released reader a,reader b → -" },
        { "nothing to release", Book(), new KeeperRules.Release(["reader z"]), " → -" },
        // Brevo's credits at start, and the import
        { "Brevo charged more than the books say", Book(spent: 4, leases: [L("b@2S")]), new KeeperRules.CheckCredits(Today, 10), "spent 9 → -" },
        { "Brevo agrees, counting tokens in flight", Book(spent: 4, leases: [L("b@2S")]), new KeeperRules.CheckCredits(Today, 15), " → -" },
        { "Brevo could not say", Book(spent: 4), new KeeperRules.CheckCredits(Today, null), " → -" },
        { "Brevo's answer of another day", Book(spent: 4), new KeeperRules.CheckCredits(Today.AddDays(-1), 1), " → -" },
        { "the import of budget.db, even a zero", Book(), new KeeperRules.Import(0), "spent 0 → -" },
        // A new day
        { "a new day begins before anything else", Book(spent: 20, used: 3, day: Today.AddDays(-1)), Ask(2), $"day {Today:MM-dd}; leased reader a@2 → reserved" },
        { "the day's turn alone", Book(day: Today.AddDays(-1)), KeeperRules.Roll.Instance, $"day {Today:MM-dd} → -" },
        { "no turn on the same day", Book(), KeeperRules.Roll.Instance, " → -" },
    };

    [Theory]
    [MemberData(nameof(DecideTable))]
    public void KeeperRules_should_decide_each_command_as_the_table_says(string why, KeeperBook book, KeeperRules.ICommand command, string expected)
    {
        Assert.NotEmpty(why);
        Assert.Equal(expected, Describe(KeeperRules.Decide(book, command, Settings, Today)));
    }

    [Fact]
    public void KeeperRules_should_make_the_books_a_replay_of_their_own_events_makes()
    {
        // A short day decided step by step; the books the events make equal those a replay from empty makes.
        var book = KeeperBook.Empty(Today);
        var journal = new List<IKeeperEvent>();
        KeeperRules.ICommand[] day =
        [
            new KeeperRules.Import(3), KeeperRules.OpenHourly.Instance, Ask(1), new KeeperRules.MarkSending("reader a", KeeperBookSpecs.Mail),
            new KeeperRules.SettleLease("reader a", new Settle(1, 1, true, Key: KeeperBookSpecs.Mail, Accepted: true)),
            new KeeperRules.Lease("reader b", new Reserve(1, 2)), new KeeperRules.Release(["reader b"]), KeeperRules.OpenHourly.Instance,
        ];
        foreach (var command in day)
        {
            var decision = KeeperRules.Decide(book, command, Settings, Today);
            journal.AddRange(decision.Events);
            book = decision.Events.Aggregate(book, (b, e) => b.Apply(e));
        }

        Assert.Equal((4, 2L, 12, 0), (book.Spent, book.Window, book.WindowGranted, book.InFlight));
        Assert.Equal(KeeperBookSpecs.Describe(book), KeeperBookSpecs.Describe(journal.Aggregate(KeeperBook.Empty(Today), (b, e) => b.Apply(e))));
    }
}
