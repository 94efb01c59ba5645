using Acaso.Mail.Actors.Budget;

namespace Acaso.Mail.Actors.Queue.Leases;

/// <summary>
/// The token a take holds: granted by the keeper under <paramref name="Tag"/> for <paramref name="Window"/>,
/// <paramref name="Borrowed"/> from the coming window; <paramref name="Settles"/>: the keeper wants a settle for it
/// (false in unlimited mode, where a token is spent as it is lent).
/// </summary>
public sealed record TakeToken(long Window, ulong Tag, bool Borrowed, bool Settles = true);

/// <summary>What the reader and its mails ask of their <see cref="LeaseHolderActor"/>, and its answers to the reader.</summary>
public static class LeaseProtocol
{
    /// <summary>
    /// How long the keeper may take to answer before a question is given up (a lease, a look's token) or a settle is
    /// sent again: in a cluster it may be moving to another node, and what was asked of the old one is lost.
    /// </summary>
    public static readonly TimeSpan KeeperAnswerTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The reader: a token of <paramref name="Window"/> for its next take.</summary>
    public sealed record Lease(long Window);

    /// <summary>
    /// To the reader: the token for its next take, or none (<paramref name="Window"/> is spent or lapsed, or the keeper
    /// is <paramref name="KeeperPaused"/> and cannot journal a lease).
    /// </summary>
    public sealed record LeaseAnswer(long Window, TakeToken? Token, bool KeeperPaused = false);

    /// <summary>The reader: a leased token its take did not use goes back uncharged.</summary>
    public sealed record GiveBack(TakeToken Token);

    /// <summary>The reader, between windows: may an urgent mail borrow a token now?</summary>
    public sealed record AskUrgent
    {
        public static readonly AskUrgent Instance = new();
    }

    /// <summary>To the reader: the keeper's answer to <see cref="AskUrgent"/>, or null when it was silent or paused.</summary>
    public sealed record UrgentAnswer(BudgetProtocol.UrgentCapacity? Capacity);

    /// <summary>
    /// A looked-at mail: a token of <paramref name="Window"/> for it, lent when it is <paramref name="Urgent"/>. The
    /// keeper's <see cref="BudgetProtocol.Reserved"/> or <see cref="BudgetProtocol.ReservationDenied"/> is handed to it.
    /// </summary>
    public sealed record LendToken(long Window, bool Urgent);

    /// <summary>A mail: settle this token with the keeper, and again until it says <see cref="BudgetProtocol.Settled"/>.</summary>
    public sealed record SettleToken(BudgetProtocol.Settle Settle);
}
