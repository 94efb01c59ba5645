using System.Collections.Immutable;
using static Acaso.Mail.Actors.Budget.KeeperEvents;

namespace Acaso.Mail.Actors.Budget;

/// <summary>
/// The daily keeper's books: the day, what it spent, the open window, what urgent mail borrowed, the tokens in flight
/// (by lease key) and the mails written off. Immutable; <see cref="Apply"/> is the only way it changes, so the journal's
/// events replayed on a snapshot give back exactly the books the keeper had. <see cref="KeeperRules"/> decides which
/// events a command makes. It is also the keeper's snapshot: <see cref="BudgetSerializer"/> writes it as
/// <c>budget-state-v1</c> (<see cref="BudgetKeeperState"/>) and reads that and <c>budget-state-v2</c>.
/// </summary>
/// <param name="Day">The budget day in the configured zone.</param>
/// <param name="Spent">Tokens charged on <paramref name="Day"/>.</param>
/// <param name="Window">The open window's id (0 before the first tick).</param>
/// <param name="WindowGranted">Tokens the open window granted.</param>
/// <param name="WindowUsed">Tokens of the open window reserved or spent.</param>
/// <param name="Borrowed">Tokens urgent mail borrowed from coming hourly windows.</param>
/// <param name="WindowRepaid">Tokens of the open window that paid back earlier borrowing: until it closes, urgent mail is still that far ahead.</param>
/// <param name="Leases">The tokens in flight, by lease key.</param>
/// <param name="WrittenOff">Today's mails whose send was counted spent when its reader went away unsettled.</param>
public sealed record KeeperBook(DateOnly Day, int Spent, long Window, int WindowGranted, int WindowUsed, int Borrowed, int WindowRepaid,
    ImmutableDictionary<string, KeeperLease> Leases, ImmutableHashSet<Guid> WrittenOff) : IBudgetWire
{
    /// <summary>Nothing spent, no window, no lease, on <paramref name="day"/>: an empty journal.</summary>
    public static KeeperBook Empty(DateOnly day) =>
        new(day, 0, 0, 0, 0, 0, 0, ImmutableDictionary<string, KeeperLease>.Empty, []);

    /// <summary>Today's tokens in flight (a lease lent before midnight counted against its own day).</summary>
    public int InFlight => Leases.Values.Count(l => l.Day == Day);

    /// <summary>What the day can still spend under <paramref name="dailyLimit"/>: charged and in-flight tokens both count.</summary>
    public int LeftToday(int dailyLimit) => Math.Max(0, dailyLimit - Spent - InFlight);

    /// <summary>Tokens the open window can still lend.</summary>
    public int WindowLeft => Math.Max(0, WindowGranted - WindowUsed);

    /// <summary>The books at a glance, against <paramref name="dailyLimit"/>.</summary>
    public BudgetProtocol.BudgetStatus Status(int dailyLimit) =>
        new(Day, Spent, InFlight, Window, WindowGranted, WindowUsed, dailyLimit, Borrowed);

    /// <summary>What a node's gauges show of the books, against <paramref name="dailyLimit"/>.</summary>
    public BudgetProtocol.BudgetReport Report(int dailyLimit) =>
        new(Spent, LeftToday(dailyLimit), WindowLeft, Borrowed);

    /// <summary>The books after <paramref name="happened"/>. Pure: no clock, no settings, no actor.</summary>
    public KeeperBook Apply(IKeeperEvent happened) => happened switch
    {
        DayBegan began => this with
        {
            Day = began.Day,
            Spent = 0,
            // Borrowed mail was charged to the day that borrowed it: the new day owes nothing.
            Borrowed = 0,
            WindowRepaid = 0,
            // Leases of the day that ends stay until settled (a settle is acknowledged, and counts nowhere); older ones go.
            Leases = Leases.RemoveRange(Leases.Where(l => l.Value.Day < Day).Select(l => l.Key)),
            WrittenOff = [],
        },
        WindowBegan window => this with
        {
            Window = window.Window,
            WindowGranted = Math.Max(0, window.Tokens),
            WindowUsed = 0,
            Borrowed = Math.Max(0, Borrowed - window.Repaid),
            WindowRepaid = window.Repaid,
        },
        TokenLeased leased => this with
        {
            Borrowed = leased.Borrowed ? Borrowed + 1 : Borrowed,
            WindowUsed = leased.Borrowed ? WindowUsed : WindowUsed + 1,
            Leases = Leases.SetItem(leased.Lease, new KeeperLease(leased.Window, leased.Borrowed, leased.Day)),
        },
        LeaseSending sending => Leases.TryGetValue(sending.Lease, out var lease) && !lease.Sending
            ? this with { Leases = Leases.SetItem(sending.Lease, lease with { Sending = true, Mail = sending.Mail }) }
            : this,
        LeaseSettled settled => Settled(settled),
        LeasesReleased released => Released(released.Leases),
        SpentCounted counted => counted.Day == Day ? this with { Spent = Math.Max(0, counted.Spent) } : this,
        _ => throw new ArgumentException($"{happened.GetType().Name} is not an event of the keeper's books", nameof(happened)),
    };

    private KeeperBook Settled(LeaseSettled settled)
    {
        if (!Leases.TryGetValue(settled.Lease, out var lease))
        {
            return this;
        }

        var book = this with { Leases = Leases.Remove(settled.Lease) };
        if (settled.Accepted && settled.Mail is { } mail)
        {
            book = book.Superseded(mail);
        }

        // A lease lent on a day that has ended counted against that day, not this one.
        if (lease.Day != Day)
        {
            return book;
        }

        // Where the token goes back to is the lease's own record (what it was lent from), whatever the event echoes.
        return (settled.Charged, lease) switch
        {
            (true, _) => book with { Spent = book.Spent + 1 },
            // Nothing was charged: the coming window is owed one token less.
            (_, { Borrowed: true }) => book with { Borrowed = Math.Max(0, book.Borrowed - 1) },
            // Nothing was charged: the token goes back to its window for the next mail.
            _ when lease.Window == Window => book with { WindowUsed = Math.Max(0, book.WindowUsed - 1) },
            _ => book,
        };
    }

    /// <summary>
    /// Brevo accepted a send of <paramref name="mail"/> as its first: any other send of the same mail (a node that died
    /// after telling it was sending) was not charged, so it will not count as spent, and a write-off already counted for
    /// it is taken back.
    /// </summary>
    private KeeperBook Superseded(Guid mail)
    {
        var leases = Leases.SetItems(Leases.Where(l => l.Value.Mail == mail)
            .Select(l => KeyValuePair.Create(l.Key, l.Value with { Superseded = true })));
        return WrittenOff.Contains(mail)
            ? this with { Leases = leases, WrittenOff = WrittenOff.Remove(mail), Spent = Math.Max(0, Spent - 1) }
            : this with { Leases = leases };
    }

    /// <summary>
    /// Leases settled by the keeper: one whose send may have reached Brevo counts as spent, the others go back to their
    /// window (or to the coming one, when borrowed). A lease of an earlier day is dropped: it counted against that day.
    /// </summary>
    private KeeperBook Released(IEnumerable<string> keys)
    {
        var book = this;
        foreach (var key in keys)
        {
            if (!book.Leases.TryGetValue(key, out var lease))
            {
                continue;
            }

            book = book with { Leases = book.Leases.Remove(key) };
            if (lease.Day != Day)
            {
                continue;
            }

            book = lease switch
            {
                { MayBeCharged: true } => book with
                {
                    Spent = book.Spent + 1,
                    WrittenOff = lease.Mail is { } mail ? book.WrittenOff.Add(mail) : book.WrittenOff,
                },
                { Borrowed: true } => book with { Borrowed = Math.Max(0, book.Borrowed - 1) },
                _ when lease.Window == Window => book with { WindowUsed = Math.Max(0, book.WindowUsed - 1) },
                _ => book,
            };
        }

        return book;
    }
}
