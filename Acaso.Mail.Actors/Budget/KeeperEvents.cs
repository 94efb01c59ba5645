using static Acaso.Mail.Actors.Budget.BudgetProtocol;

namespace Acaso.Mail.Actors.Budget;

/// <summary>
/// What the daily keeper journals: what happened to the budget, one small event at a time, replayed by
/// <see cref="KeeperBook.Apply"/> on recovery (after the latest snapshot, the <see cref="KeeperBook"/> itself). Each has a
/// stable manifest in <see cref="BudgetSerializer"/>; a lease is named by its key (the reader's full path with its
/// incarnation, and the reservation's tag).
/// </summary>
public static class KeeperEvents
{
    /// <summary>An event of the keeper's journal.</summary>
    public interface IKeeperEvent : IBudgetWire;

    /// <summary>A new budget day began: nothing spent or borrowed yet; leases of days before the one that ended are dropped.</summary>
    public sealed record DayBegan(DateOnly Day) : IKeeperEvent;

    /// <summary>
    /// A tick opened window <paramref name="Window"/> with <paramref name="Tokens"/> tokens, <paramref name="Repaid"/> of the
    /// window's share having gone to pay back what urgent mail borrowed (0 for the end-of-day window).
    /// </summary>
    public sealed record WindowBegan(long Window, int Tokens, WindowKind Kind, int Repaid) : IKeeperEvent;

    /// <summary>A token was lent under <paramref name="Lease"/>: from window <paramref name="Window"/>, or borrowed from the coming one.</summary>
    public sealed record TokenLeased(string Lease, long Window, bool Borrowed, DateOnly Day) : IKeeperEvent;

    /// <summary>The lease's send goes to Brevo now (<see cref="Spending"/>): should its reader go away, it counts as spent.</summary>
    public sealed record LeaseSending(string Lease, Guid Mail) : IKeeperEvent;

    /// <summary>
    /// The reader settled the lease (<see cref="Settle"/>): <paramref name="Charged"/> counts it spent, otherwise its token
    /// goes back; <paramref name="Accepted"/>: Brevo took this send of <paramref name="Mail"/> as its first.
    /// </summary>
    public sealed record LeaseSettled(string Lease, long Window, bool Charged, bool Borrowed, Guid? Mail, bool Accepted) : IKeeperEvent;

    /// <summary>The keeper settled these leases itself (their reader stopped, or they were lent before a take-over and never settled).</summary>
    public sealed record LeasesReleased(string[] Leases) : IKeeperEvent;

    /// <summary>The day's count was set from outside: imported from <c>budget.db</c> on a first start, or Brevo reported more charged.</summary>
    public sealed record SpentCounted(DateOnly Day, int Spent) : IKeeperEvent;
}
