namespace Acaso.Mail.Actors.Queue;

/// <summary>What the urgent lane asks the reader to do next.</summary>
public enum UrgentStep
{
    /// <summary>Nothing now.</summary>
    None,

    /// <summary>Look for urgent mail now (ask the keeper whether a token could be lent, then look at the head).</summary>
    Look,

    /// <summary>A take is under way: look once it is done.</summary>
    LookWhenIdle,

    /// <summary>The window still has tokens: take on them, no look needed.</summary>
    Take,

    /// <summary>Another reader is taking from the queue: a look now would hold the head while it takes. Look again shortly.</summary>
    LookShortly,

    /// <summary>Look at the head with no token: an urgent mail there asks the keeper for a lent one.</summary>
    LookAtHead,

    /// <summary>No look is worth making (nothing may be lent, or the mover's signal makes it needless).</summary>
    Skip,
}

/// <summary>
/// The urgent lane's state as the reader keeps it between windows: <paramref name="Expected"/> urgent mails the inbox
/// mover said it moved in and not yet seen at the head; <paramref name="Pending"/>: a look came due while a take was
/// under way; <paramref name="AfterWindow"/>: the one look due once a window is spent (with the mover's signal);
/// <paramref name="Looked"/>: the head was looked at in the current window (once a window even when nothing may be
/// lent: it refreshes what the metrics know of the head).
/// </summary>
public sealed record UrgentLook(int Expected = 0, bool Pending = false, bool AfterWindow = false, bool Looked = false);

/// <summary>
/// When the reader looks at the queue head between windows, as pure functions of <see cref="UrgentLook"/> and what
/// just happened: no actor state, no I/O, so a table of cases specifies them (<c>UrgentLaneSpecs</c>). The reader
/// carries out the <see cref="UrgentStep"/>.
/// </summary>
public static class UrgentLane
{
    /// <summary>Between windows no look is made while this many mails are still under way.</summary>
    public const int MaxInFlightForLook = 64;

    /// <summary>How soon a look put off by another reader's take is tried again (a take is one basic.get).</summary>
    public static readonly TimeSpan LookAgainAfter = TimeSpan.FromMilliseconds(200);

    /// <summary>A look came due: the poll's tick, a look put off, or a looked-at head that left the queue.</summary>
    public static (UrgentLook, UrgentStep) Due(UrgentLook state, bool busy) =>
        busy ? (state with { Pending = true }, UrgentStep.LookWhenIdle) : (state, UrgentStep.Look);

    /// <summary>The inbox mover moved <paramref name="count"/> urgent mails in.</summary>
    public static (UrgentLook, UrgentStep) Signalled(UrgentLook state, int count, bool busy) =>
        Due(state with { Expected = state.Expected + count }, busy);

    /// <summary>
    /// A looked-at mail left the queue (sent on a lent token, dead-lettered, already sent): the one behind it may be
    /// urgent too, so a look is due again now, rather than at the next tick.
    /// </summary>
    public static (UrgentLook, UrgentStep) HeadLeft(UrgentLook state, bool signalled, bool busy) =>
        // With the mover's signal, only while it said more were moved in: a look at a head that is not urgent puts it
        // back, and a message put back is marked redelivered.
        !signalled || state.Expected > 0 ? Due(state, busy) : (state, UrgentStep.None);

    /// <summary>The reader has no take under way any more: a look that came due meanwhile is made now.</summary>
    public static (UrgentLook, UrgentStep) Idle(UrgentLook state) =>
        state.Pending || state.AfterWindow
            ? (state with { Pending = false, AfterWindow = false }, UrgentStep.Look)
            : (state, UrgentStep.None);

    /// <summary>A window opened while nothing was under way: with the mover's signal, one look is due once it is spent.</summary>
    public static UrgentLook WindowOpened(UrgentLook state, bool signalled) => state with { AfterWindow = signalled, Looked = false };

    /// <summary>A window opened during a take (it cannot wait for the take): the new window has not been looked in.</summary>
    public static UrgentLook WindowOpenedDuringTake(UrgentLook state) => state with { Looked = false };

    /// <summary>A mail of <paramref name="priority"/> was taken from the head.</summary>
    public static UrgentLook HeadTaken(UrgentLook state, int priority, int urgentPriority) =>
        // A head that is not urgent means no urgent mail waits behind it.
        state with { Expected = priority >= urgentPriority ? Math.Max(0, state.Expected - 1) : 0 };

    /// <summary>Whether to ask the keeper at all: with the window's tokens left, take on them instead.</summary>
    public static UrgentStep Ask(int windowTokens, int mailsInFlight) =>
        windowTokens > 0 ? UrgentStep.Take : mailsInFlight < MaxInFlightForLook ? UrgentStep.Look : UrgentStep.None;

    /// <summary>
    /// The keeper's answer to "may an urgent mail borrow now": <paramref name="lendable"/> tokens, and whether another
    /// reader's take is under way (<paramref name="busyElsewhere"/>).
    /// </summary>
    public static (UrgentLook, UrgentStep) Answered(UrgentLook state, int lendable, bool busyElsewhere, int windowTokens, bool windowHalted,
        bool laneEnabled, bool signalled)
    {
        // While Brevo is failing (or refusing the account) in this window, urgent mail waits too: look, don't send.
        var mayBorrow = laneEnabled && lendable > 0 && !windowHalted;
        if (windowTokens > 0)
        {
            return (state, UrgentStep.Take);
        }

        // With the mover's signal a look that could send nothing is not made: it would put the head back, marked redelivered.
        if (!mayBorrow && (state.Looked || signalled))
        {
            return (state, UrgentStep.Skip);
        }

        return busyElsewhere ? (state, UrgentStep.LookShortly) : (state with { Looked = true }, UrgentStep.LookAtHead);
    }
}
