using System.Collections.Immutable;
using Acaso.Mail.Actors.Budget;
using static Acaso.Mail.Actors.Budget.BudgetProtocol;
using static Acaso.Mail.Actors.Budget.KeeperEvents;

namespace Acaso.Mail.Actors.Tests.Budget;

/// <summary>
/// The keeper's books and its pure <see cref="KeeperBook.Apply"/>: a table of books × event → books, as recovery replays
/// the journal. Leases are written <c>key@window</c>, with <c>B</c> (borrowed), <c>S</c> (sending), <c>X</c> (superseded)
/// and <c>-1</c> (lent the day before; <c>-2</c> the day before that) after it.
/// </summary>
public sealed class KeeperBookSpecs
{
    internal static readonly DateOnly Today = new(2026, 11, 30);
    internal static readonly Guid Mail = Guid.Parse("0b6f0e0e-3c59-4f0b-9d55-5a4be1a6e2a1");
    internal static readonly Guid Other = Guid.Parse("1c7f1f1f-4d6a-4f1c-8e66-6b5cf2b7f3b2");

    /// <summary>A lease from its short form: <c>a@2</c>, <c>b@2BS</c>, <c>c@1-1</c>.</summary>
    internal static (string Key, KeeperLease Lease) L(string text, Guid? mail = null)
    {
        var at = text.IndexOf('@', StringComparison.Ordinal);
        var parts = text[(at + 1)..].Split('-');
        var flags = parts[0];
        var daysBack = parts.Length > 1 ? int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) : 0;
        var digits = new string(flags.TakeWhile(char.IsDigit).ToArray());
        return ("reader " + text[..at], new KeeperLease(long.Parse(digits, System.Globalization.CultureInfo.InvariantCulture), flags.Contains('B'),
            Today.AddDays(-daysBack), flags.Contains('S'), mail, flags.Contains('X')));
    }

    /// <summary>Books of <see cref="Today"/> (window 2 of 12 tokens unless told otherwise).</summary>
    internal static KeeperBook Book(int spent = 0, long window = 2, int granted = 12, int used = 0, int borrowed = 0, int repaid = 0,
        (string, KeeperLease)[]? leases = null, Guid[]? writtenOff = null, DateOnly? day = null) =>
        new(day ?? Today, spent, window, granted, used, borrowed, repaid,
            (leases ?? []).ToImmutableDictionary(l => l.Item1, l => l.Item2), [.. writtenOff ?? []]);

    /// <summary>The books in one line, to compare and to read in a failure.</summary>
    internal static string Describe(KeeperBook book) =>
        $"{book.Day:yyyy-MM-dd} spent {book.Spent}, window {book.Window} {book.WindowUsed}/{book.WindowGranted}, borrowed {book.Borrowed}, repaid {book.WindowRepaid}; " +
        $"leases [{string.Join(", ", book.Leases.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => BudgetKeeperState.LeaseText(l.Key, l.Value)))}]; " +
        $"written off [{string.Join(", ", book.WrittenOff.Order())}]";

    public static TheoryData<string, KeeperBook, IKeeperEvent, KeeperBook> ApplyTable => new()
    {
        {
            "a new day forgets the count, the debt and the write-offs, and drops leases older than the day that ended",
            Book(spent: 30, used: 5, borrowed: 2, repaid: 1, leases: [L("a@2-1"), L("b@1-2")], writtenOff: [Mail], day: Today.AddDays(-1)),
            new DayBegan(Today),
            Book(used: 5, leases: [L("a@2-1")])
        },
        { "an hourly window repays the debt first", Book(used: 7, borrowed: 3), new WindowBegan(3, 10, WindowKind.Hourly, 2), Book(window: 3, granted: 10, borrowed: 1, repaid: 2) },
        { "the end-of-day window repays nothing", Book(used: 7, borrowed: 1, repaid: 1), new WindowBegan(3, 40, WindowKind.EndOfDay, 0), Book(window: 3, granted: 40, borrowed: 1) },
        { "a token lent from the window", Book(used: 3), new TokenLeased("reader a", 2, false, Today), Book(used: 4, leases: [L("a@2")]) },
        { "a token borrowed from the coming window", Book(used: 12), new TokenLeased("reader a", 2, true, Today), Book(used: 12, borrowed: 1, leases: [L("a@2B")]) },
        { "a lease's send goes to Brevo", Book(used: 1, leases: [L("a@2")]), new LeaseSending("reader a", Mail), Book(used: 1, leases: [L("a@2S", Mail)]) },
        { "a lease already sending keeps its mail", Book(used: 1, leases: [L("a@2S", Other)]), new LeaseSending("reader a", Mail), Book(used: 1, leases: [L("a@2S", Other)]) },
        { "a settle that was charged counts", Book(spent: 4, used: 1, leases: [L("a@2S", Mail)]), new LeaseSettled("reader a", 2, true, false, Mail, true), Book(spent: 5, used: 1) },
        { "a settle not charged gives the token back to its open window", Book(used: 3, leases: [L("a@2")]), new LeaseSettled("reader a", 2, false, false, null, false), Book(used: 2) },
        { "a settle not charged of a closed window gives nothing back", Book(window: 3, used: 3, leases: [L("a@2")]), new LeaseSettled("reader a", 2, false, false, null, false), Book(window: 3, used: 3) },
        { "a borrowed settle not charged lowers the debt", Book(borrowed: 2, leases: [L("a@2B")]), new LeaseSettled("reader a", 2, false, true, null, false), Book(borrowed: 1) },
        { "a settle goes back where its lease was lent, whatever it echoes", Book(borrowed: 2, leases: [L("a@2B")]), new LeaseSettled("reader a", 1, false, false, null, false), Book(borrowed: 1) },
        { "yesterday's lease settled counts nowhere", Book(spent: 2, leases: [L("a@1S-1")]), new LeaseSettled("reader a", 1, true, false, Mail, true), Book(spent: 2) },
        {
            "a send accepted first supersedes the mail's other lease and takes its write-off back",
            Book(spent: 6, used: 2, leases: [L("a@2S", Mail), L("b@2S", Mail)], writtenOff: [Mail]),
            new LeaseSettled("reader a", 2, true, false, Mail, true),
            Book(spent: 6, used: 2, leases: [L("b@2SX", Mail)])
        },
        { "a settle of an unknown lease changes nothing", Book(spent: 1, used: 1), new LeaseSettled("reader z", 2, true, false, null, false), Book(spent: 1, used: 1) },
        {
            "released leases: sending ones are spent and written off, the others go back where they came from",
            Book(spent: 1, used: 4, borrowed: 1, leases: [L("a@2S", Mail), L("b@2"), L("c@2B"), L("d@2SX", Other), L("e@1"), L("f@1S-1")]),
            new LeasesReleased(["reader a", "reader b", "reader c", "reader d", "reader e", "reader f", "reader z"]),
            Book(spent: 2, used: 2, writtenOff: [Mail])
        },
        { "a count from outside sets today's", Book(spent: 3), new SpentCounted(Today, 40), Book(spent: 40) },
        { "a count of another day is ignored", Book(spent: 3), new SpentCounted(Today.AddDays(-1), 40), Book(spent: 3) },
    };

    [Theory]
    [MemberData(nameof(ApplyTable))]
    public void KeeperBook_should_apply_each_event_as_the_table_says(string why, KeeperBook before, IKeeperEvent happened, KeeperBook after)
    {
        Assert.NotEmpty(why);
        Assert.Equal(Describe(after), Describe(before.Apply(happened)));
    }

    [Fact]
    public void KeeperBook_should_come_back_the_same_from_its_snapshot()
    {
        var book = Book(spent: 9, window: 4, used: 3, borrowed: 2, repaid: 1, leases: [L("a@4S", Mail), L("b@3B"), L("c@4SX", Other), L("d@3-1")], writtenOff: [Other]);
        Assert.Equal(Describe(book), Describe(BudgetKeeperState.From(book).ToBook()));
    }

    [Fact]
    public void KeeperBook_should_read_the_bare_lease_keys_of_early_journals_as_sending_in_their_window()
    {
        var state = new BudgetKeeperState(Today, 5, 3, 12, 2, 0, 0, ["akka://acaso-mail/user/queue-reader#7 4"]);
        var lease = Assert.Single(state.ToBook().Leases);
        Assert.Equal(("akka://acaso-mail/user/queue-reader#7 4", new KeeperLease(3, false, Today, Sending: true)), (lease.Key, lease.Value));
    }
}
