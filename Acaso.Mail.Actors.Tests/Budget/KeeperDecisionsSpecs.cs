using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Settings;
using static Acaso.Mail.Actors.Budget.BudgetProtocol;

namespace Acaso.Mail.Actors.Tests.Budget;

/// <summary>
/// The keeper's books and its decisions under way (<see cref="KeeperDecisions"/>): a second decision in one message
/// sees the first, and the journal's books change only as each event is stored.
/// </summary>
public sealed class KeeperDecisionsSpecs
{
    private static readonly BudgetSettings Settings = new(DailyLimit: 20, PerHour: 12, TimeZoneInfo.Utc, "0 0 * * * ?", "0 0 23 * * ?", UrgentBorrowWindows: 1);
    private static readonly DateOnly Today = new(2026, 11, 30);

    [Fact]
    public void Decisions_in_one_message_should_see_each_other_while_the_books_wait_for_the_journal()
    {
        var books = new KeeperDecisions(KeeperBook.Empty(Today));
        books.Decide(KeeperRules.OpenHourly.Instance, Settings, Today, (_, _) => { });
        var first = books.Decide(new KeeperRules.Lease("reader a 1", new Reserve(1, 1)), Settings, Today, (_, _) => { });
        var second = books.Decide(new KeeperRules.Lease("reader a 2", new Reserve(1, 2)), Settings, Today, (_, _) => { });

        Assert.IsType<Reserved>(first);
        Assert.IsType<Reserved>(second);
        Assert.True(books.Pending);
        Assert.Equal((1L, 2), (books.Ahead.Window, books.Ahead.WindowUsed));
        // Nothing is in the journal's books until stored.
        Assert.Equal((0L, 0), (books.Book.Window, books.Book.WindowUsed));

        var events = books.TakeDecided();
        Assert.False(books.Pending);
        for (var i = 0; i < events.Count; i++)
        {
            books.Stored(events[i], last: i == events.Count - 1);
        }

        Assert.Equal((1L, 2, 2), (books.Book.Window, books.Book.WindowUsed, books.Book.InFlight));
        Assert.Same(books.Book, books.Ahead);
    }

    [Fact]
    public void A_snapshot_should_be_due_after_the_batch_that_reaches_the_count_and_not_in_its_middle()
    {
        var books = new KeeperDecisions(KeeperBook.Empty(Today));
        var due = new List<int>();
        for (var stored = 1; stored <= 2 * KeeperDecisions.SnapshotEvery + 10; stored++)
        {
            // Batches of three: the one that crosses the count says so at its last event.
            if (books.Stored(new KeeperEvents.SpentCounted(Today, stored), last: stored % 3 == 0))
            {
                due.Add(stored);
            }
        }

        Assert.Equal([102, 204], due);
    }
}
