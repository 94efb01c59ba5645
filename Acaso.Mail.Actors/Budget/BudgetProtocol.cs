using System.Text.Json.Serialization;
using Akka.Actor;

namespace Acaso.Mail.Actors.Budget;

/// <summary>
/// A message of <see cref="BudgetProtocol"/> or the keeper's journaled state: what crosses nodes (the keeper is a
/// cluster singleton) or is persisted, so it goes through <see cref="BudgetSerializer"/> (bound in <c>hocon/akka.hocon</c>).
/// </summary>
public interface IBudgetWire;

/// <summary>
/// The BudgetKeeper's messages. Plain immutable data: the keeper runs as a cluster singleton, and each message has a
/// stable manifest in <see cref="BudgetSerializer"/>.
/// </summary>
public static class BudgetProtocol
{
    /// <summary>The hourly tick (Quartz's <c>MAIL_HOURLY_CRON</c>): opens a window of <c>min(per_hour, left_today)</c> tokens.</summary>
    public sealed record HourlyTick : IBudgetWire
    {
        public static readonly HourlyTick Instance = new();
    }

    /// <summary>The end-of-day tick (<c>MAIL_END_OF_DAY_CRON</c>): opens a window of the day's remaining credit.</summary>
    public sealed record EndOfDayTick : IBudgetWire
    {
        public static readonly EndOfDayTick Instance = new();
    }

    /// <summary>A reader to tell of every window (several may subscribe: one a node in a cluster).</summary>
    public sealed record Subscribe(IActorRef Reader) : IBudgetWire;

    /// <summary>Which tick opened a window.</summary>
    public enum WindowKind
    {
        Hourly,
        EndOfDay,
    }

    /// <summary>A new window: <paramref name="Tokens"/> sends may start in it. The previous window's unused tokens lapse.</summary>
    public sealed record WindowOpened(long Window, int Tokens, WindowKind Kind, DateOnly Day) : IBudgetWire;

    /// <summary>
    /// The reader asks for one token of <paramref name="Window"/>: before a take (a lease: the take happens only with the
    /// token granted, so no reader takes mail it holds no token for), or for an urgent mail it looked at between windows
    /// (<paramref name="Urgent"/>: it may borrow from the coming hourly window when this one is spent).
    /// <paramref name="Tag"/> is echoed back. <paramref name="Count"/>: as many tokens as may be lent at once (unlimited
    /// mode leases in batches, so the keeper, a cluster singleton, is not on every send's path; the daily keeper lends one).
    /// </summary>
    public sealed record Reserve(long Window, ulong Tag, bool Urgent = false, int Count = 1) : IBudgetWire;

    /// <summary>
    /// The token is the reader's: send. <paramref name="Borrowed"/>: it was borrowed from the coming window.
    /// <paramref name="Count"/>: tokens lent (more than one only when asked); <paramref name="Settles"/>: false when the
    /// keeper counts them spent as they are lent and wants no <see cref="Settle"/> (unlimited mode: a rate, not a budget).
    /// </summary>
    public sealed record Reserved(long Window, ulong Tag, bool Borrowed = false, int Count = 1, bool Settles = true) : IBudgetWire;

    /// <summary>No token: the window has lapsed, is spent, or the day's limit is reached. Requeue the mail.</summary>
    public sealed record ReservationDenied(long Window, ulong Tag, string Reason) : IBudgetWire;

    /// <summary>
    /// A reserved token's send has ended. <paramref name="Charged"/>: Brevo may have charged it (sent, or an
    /// ambiguous timeout), so it counts against the day; otherwise it returns to its window if still open.
    /// <paramref name="Tag"/> is the reservation's: the keeper settles each token once, however often the reader sends
    /// this (it does until <see cref="Settled"/> comes back: a keeper moving to another node loses what was sent to it).
    /// </summary>
    /// <param name="Window">The token's window.</param>
    /// <param name="Tag">The token's reservation tag.</param>
    /// <param name="Charged">Brevo may have charged it.</param>
    /// <param name="Borrowed">It was borrowed from the coming window.</param>
    /// <param name="Key">The mail's idempotency key, when a send was made.</param>
    /// <param name="Accepted">Brevo accepted this send as the key's first (not a duplicate): no other send of the mail was charged.</param>
    public sealed record Settle(long Window, ulong Tag, bool Charged, bool Borrowed = false, Guid? Key = null, bool Accepted = false) : IBudgetWire;

    /// <summary>
    /// The token reserved under <paramref name="Tag"/> goes to Brevo now: should its reader stop (or its node leave)
    /// before it settles, the keeper counts it spent rather than giving it back, since Brevo may have charged it.
    /// </summary>
    /// <param name="Window">The token's window.</param>
    /// <param name="Tag">The token's reservation tag.</param>
    /// <param name="Key">The mail's idempotency key: another send of the same mail later tells which of them Brevo charged.</param>
    public sealed record Spending(long Window, ulong Tag, Guid Key) : IBudgetWire;

    /// <summary>
    /// The keeper cannot answer now (its journal cannot be written: a database outage); it is started again by itself.
    /// Whatever was asked may be asked again later; a settle is sent again until acknowledged.
    /// </summary>
    public sealed record KeeperPaused : IBudgetWire
    {
        public static readonly KeeperPaused Instance = new();
    }

    /// <summary>The keeper has recorded the settle of the token reserved under <paramref name="Tag"/> (or had already).</summary>
    public sealed record Settled(ulong Tag) : IBudgetWire;

    /// <summary>
    /// The budget as the keeper last saw it, told to every subscribed reader on each change: each node publishes it on its
    /// own event stream, so the budget gauges read the same on every node of a cluster, whichever holds the keeper.
    /// </summary>
    public sealed record BudgetReport(int Spent, int LeftToday, int WindowLeft, int Borrowed) : IBudgetWire;

    /// <summary>Asks whether an urgent mail could get a token now (the reader's cue to look at the queue head).</summary>
    public sealed record CanSendUrgent : IBudgetWire
    {
        public static readonly CanSendUrgent Instance = new();
    }

    /// <summary>
    /// How many urgent mails could get a token now: the window's leftover plus what may still be borrowed.
    /// <paramref name="Busy"/>: another reader's take is under way, so a look now would hold the head while it takes;
    /// look a moment later. Left out of the JSON when false, so <c>urgent-capacity-v1</c> reads the same both ways
    /// between builds with and without it (an older reader ignores the field and looks at once, as it always did).
    /// </summary>
    public sealed record UrgentCapacity(long Window, int Tokens,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Busy = false) : IBudgetWire;

    /// <summary>Asks the keeper to answer <see cref="KeeperStarted"/> once it grants tokens (daily mode: once Brevo's credits were read).</summary>
    public sealed record WhenStarted : IBudgetWire
    {
        public static readonly WhenStarted Instance = new();
    }

    /// <summary>The answer to <see cref="WhenStarted"/>.</summary>
    public sealed record KeeperStarted : IBudgetWire
    {
        public static readonly KeeperStarted Instance = new();
    }

    /// <summary>Asks for the keeper's <see cref="BudgetStatus"/>.</summary>
    public sealed record GetStatus : IBudgetWire
    {
        public static readonly GetStatus Instance = new();
    }

    /// <summary>The budget at a glance; also published on the event stream whenever it changes.</summary>
    /// <param name="Day">The budget day in the configured zone.</param>
    /// <param name="Spent">Tokens charged today.</param>
    /// <param name="InFlight">Tokens reserved whose send has not ended.</param>
    /// <param name="Window">The current window's id (0 before the first tick).</param>
    /// <param name="WindowGranted">Tokens the current window granted.</param>
    /// <param name="WindowUsed">Tokens of the current window reserved or spent.</param>
    /// <param name="DailyLimit">The daily limit.</param>
    /// <param name="Borrowed">Tokens urgent mail has borrowed from the coming hourly window(s).</param>
    /// <param name="Started">False until Brevo's credits have been read at start (or could not be): nothing is granted before.</param>
    public sealed record BudgetStatus(DateOnly Day, int Spent, int InFlight, long Window, int WindowGranted, int WindowUsed, int DailyLimit, int Borrowed = 0,
        bool Started = true) : IBudgetWire
    {
        /// <summary>What the day can still spend.</summary>
        public int LeftToday => Math.Max(0, DailyLimit - Spent - InFlight);

        /// <summary>Tokens the current window can still hand out.</summary>
        public int WindowLeft => Math.Max(0, WindowGranted - WindowUsed);
    }
}
