using Acaso.Mail.Actors.Settings;
using static Acaso.Mail.Actors.Budget.BudgetProtocol;
using static Acaso.Mail.Actors.Budget.KeeperEvents;

namespace Acaso.Mail.Actors.Budget;

/// <summary>What the keeper decides: the events a command makes on the books, and the answer its sender gets.</summary>
/// <param name="Events">To journal, in order (none: nothing changes).</param>
/// <param name="Answer">The reply, once the events are stored (<see cref="Reserved"/>, <see cref="ReservationDenied"/>,
/// <see cref="Settled"/>), or null.</param>
public sealed record KeeperDecision(IReadOnlyList<IKeeperEvent> Events, object? Answer = null)
{
    /// <summary>No change and no answer.</summary>
    public static KeeperDecision Nothing { get; } = new([]);
}

/// <summary>
/// The daily keeper's rules as pure functions of its books, its settings and today's date: which events each command
/// makes (<see cref="KeeperBook.Apply"/> then applies them). Every decision first begins a new day when the date has
/// moved on. The keeper actor only adds what a function cannot do: the clock, the journal, Brevo's account and replies.
/// </summary>
public static class KeeperRules
{
    /// <summary>A command to the books: a protocol message with what the actor knows of its sender.</summary>
    public interface ICommand;

    /// <summary>Nothing but the day's turn: a new day begins when the date has moved on.</summary>
    public sealed record Roll : ICommand
    {
        /// <summary>The one instance.</summary>
        public static readonly Roll Instance = new();
    }

    /// <summary>The hourly tick.</summary>
    public sealed record OpenHourly : ICommand
    {
        /// <summary>The one instance.</summary>
        public static readonly OpenHourly Instance = new();
    }

    /// <summary>The end-of-day tick, with Brevo's remaining credits (null: Brevo could not say).</summary>
    public sealed record OpenEndOfDay(int? Credits) : ICommand;

    /// <summary>A reader's <see cref="Reserve"/>, under the lease key it would hold.</summary>
    public sealed record Lease(string Key, Reserve Reserve) : ICommand;

    /// <summary>A reader's <see cref="Spending"/> for the lease <paramref name="Key"/>.</summary>
    public sealed record MarkSending(string Key, Guid Mail) : ICommand;

    /// <summary>A reader's <see cref="Settle"/> of the lease <paramref name="Key"/>.</summary>
    public sealed record SettleLease(string Key, Settle Settle) : ICommand;

    /// <summary>Leases the keeper settles itself (their reader is gone, or they were lent before a take-over).</summary>
    public sealed record Release(IReadOnlyCollection<string> Keys) : ICommand;

    /// <summary>Brevo's remaining credits at start, read on <paramref name="Day"/> (null: Brevo could not say).</summary>
    public sealed record CheckCredits(DateOnly Day, int? Credits) : ICommand;

    /// <summary>The count a service before the journal kept (<c>budget.db</c>): imported once, on an empty journal.</summary>
    public sealed record Import(int Spent) : ICommand;

    /// <summary>A new day begins first when <paramref name="today"/> is not the books' day.</summary>
    public static KeeperDecision Decide(KeeperBook book, ICommand command, BudgetSettings settings, DateOnly today)
    {
        if (book.Day == today)
        {
            return DecideToday(book, command, settings);
        }

        var began = new DayBegan(today);
        var decision = DecideToday(book.Apply(began), command, settings);
        return decision with { Events = [began, .. decision.Events] };
    }

    private static KeeperDecision DecideToday(KeeperBook book, ICommand command, BudgetSettings settings) => command switch
    {
        Roll => KeeperDecision.Nothing,
        OpenHourly => Hourly(book, settings),
        OpenEndOfDay flush => new([new WindowBegan(book.Window + 1, flush.Credits is { } credits
            ? Math.Max(0, Math.Min(credits, book.LeftToday(settings.DailyLimit)))
            : book.LeftToday(settings.DailyLimit), WindowKind.EndOfDay, Repaid: 0)]),
        Lease lease => Reserve(book, lease, settings),
        MarkSending sending => book.Leases.TryGetValue(sending.Key, out var lent) && !lent.Sending
            ? new([new LeaseSending(sending.Key, sending.Mail)])
            : KeeperDecision.Nothing,
        // Settled already (the reader did not hear back and sent it again), or released: acknowledged, counted once.
        // The lease's window and loan are the keeper's own record, not what the reader echoes back.
        SettleLease { Settle: var settle } settling => book.Leases.TryGetValue(settling.Key, out var lent)
            ? new([new LeaseSettled(settling.Key, lent.Window, settle.Charged, lent.Borrowed, settle.Key, settle.Accepted)], new Settled(settle.Tag))
            : new([], new Settled(settle.Tag)),
        Release release => release.Keys.Where(book.Leases.ContainsKey).Distinct().Order(StringComparer.Ordinal).ToArray() is { Length: > 0 } keys
            ? new([new LeasesReleased(keys)])
            : KeeperDecision.Nothing,
        CheckCredits check => Credits(book, check, settings),
        Import import => new([new SpentCounted(book.Day, import.Spent)]),
        _ => throw new ArgumentException($"{command.GetType().Name} is not a command of the keeper's books", nameof(command)),
    };

    /// <summary>What urgent mail borrowed comes out of the new window first; a debt larger than a window carries on.</summary>
    private static KeeperDecision Hourly(KeeperBook book, BudgetSettings settings)
    {
        var owed = Math.Min(book.Borrowed, settings.PerHour);
        var tokens = Math.Max(0, Math.Min(settings.PerHour - owed, book.LeftToday(settings.DailyLimit)));
        return new([new WindowBegan(book.Window + 1, tokens, WindowKind.Hourly, owed)]);
    }

    private static KeeperDecision Reserve(KeeperBook book, Lease lease, BudgetSettings settings)
    {
        var reserve = lease.Reserve;
        var fromWindow = reserve.Window == book.Window && book.WindowUsed < book.WindowGranted;
        var borrow = !fromWindow && reserve.Urgent && Borrowable(book, settings) > 0;
        var denied = book.LeftToday(settings.DailyLimit) <= 0 ? "daily_limit"
            : fromWindow || borrow ? null
            : reserve.Window != book.Window ? "window_lapsed"
            : reserve.Urgent ? "borrow_limit"
            : "window_spent";
        return denied is null
            ? new([new TokenLeased(lease.Key, book.Window, borrow, book.Day)], new Reserved(book.Window, reserve.Tag, borrow))
            : new([], new ReservationDenied(reserve.Window, reserve.Tag, denied));
    }

    /// <summary>
    /// Tokens in flight (a hand-over: sends under way on other nodes) may already be charged by Brevo and will be counted
    /// when they settle: only a charge beyond them is one the keeper does not know of, and then Brevo wins.
    /// </summary>
    private static KeeperDecision Credits(KeeperBook book, CheckCredits check, BudgetSettings settings) =>
        check.Day == book.Day && check.Credits is { } credits && credits < settings.DailyLimit - book.Spent - book.InFlight
            ? new([new SpentCounted(book.Day, settings.DailyLimit - credits - book.InFlight)])
            : KeeperDecision.Nothing;

    /// <summary>
    /// What urgent mail may borrow now: it may run at most <c>MAIL_URGENT_BORROW_WINDOWS</c> windows ahead of the
    /// hourly schedule, and a window whose tokens paid back earlier borrowing counts as ahead until it closes.
    /// </summary>
    public static int Borrowable(KeeperBook book, BudgetSettings settings) =>
        Math.Max(0, settings.BorrowLimit - book.Borrowed - book.WindowRepaid);

    /// <summary>How many urgent mails could get a token now: the window's leftover plus what may still be borrowed.</summary>
    public static int UrgentTokens(KeeperBook book, BudgetSettings settings) =>
        Math.Min(book.LeftToday(settings.DailyLimit), book.WindowLeft + Borrowable(book, settings));
}
