using Acaso.Mail.Actors.Queue;

namespace Acaso.Mail.Actors.Tests.Queue;

/// <summary>
/// When the reader looks at the head between windows (<see cref="UrgentLane"/>): a table of state × what happened →
/// the next state and the step, with the lane's threshold at 199 and the inbox mover's signal on unless a row says not.
/// </summary>
public sealed class UrgentLanePolicySpecs
{
    private const int Threshold = 199;
    private static readonly UrgentLook Quiet = new();

    public static TheoryData<string, Func<(UrgentLook, UrgentStep)>, UrgentLook, UrgentStep> Table => new()
    {
        // Looks that come due
        { "a tick with no take under way looks now", () => UrgentLane.Due(Quiet, busy: false), Quiet, UrgentStep.Look },
        { "a tick during a take looks once it is done", () => UrgentLane.Due(Quiet, busy: true), Quiet with { Pending = true }, UrgentStep.LookWhenIdle },
        { "a signal during a take counts the mail and looks once it is done", () => UrgentLane.Signalled(Quiet, 3, busy: true),
            new UrgentLook(Expected: 3, Pending: true), UrgentStep.LookWhenIdle },
        { "a signal with nothing under way looks now", () => UrgentLane.Signalled(new UrgentLook(Expected: 1), 2, busy: false), new UrgentLook(Expected: 3), UrgentStep.Look },
        { "the take's end makes the look that came due meanwhile", () => UrgentLane.Idle(new UrgentLook(Expected: 3, Pending: true)),
            new UrgentLook(Expected: 3), UrgentStep.Look },
        { "a spent window's one look, with the signal", () => UrgentLane.Idle(new UrgentLook(AfterWindow: true)), Quiet, UrgentStep.Look },
        { "nothing due when the take ends", () => UrgentLane.Idle(Quiet), Quiet, UrgentStep.None },
        // The burst: an urgent head that leaves the queue without a send (expired, dead-lettered) looks again
        { "an urgent head taken counts against the signalled mails", () => (UrgentLane.HeadTaken(new UrgentLook(Expected: 20), 199, Threshold), UrgentStep.None),
            new UrgentLook(Expected: 19), UrgentStep.None },
        { "a looked-at head gone while more urgent mail is expected looks again", () => UrgentLane.HeadLeft(new UrgentLook(Expected: 19), signalled: true, busy: false),
            new UrgentLook(Expected: 19), UrgentStep.Look },
        { "a head that is not urgent means none waits behind it", () => (UrgentLane.HeadTaken(new UrgentLook(Expected: 5), 150, Threshold), UrgentStep.None),
            Quiet, UrgentStep.None },
        { "with the signal and nothing expected, a head gone looks no further", () => UrgentLane.HeadLeft(Quiet, signalled: true, busy: false), Quiet, UrgentStep.None },
        { "without the signal, every head gone looks again", () => UrgentLane.HeadLeft(Quiet, signalled: false, busy: false), Quiet, UrgentStep.Look },
        { "a head gone during a take: the look waits for the take's end", () => UrgentLane.HeadLeft(Quiet, signalled: false, busy: true),
            Quiet with { Pending = true }, UrgentStep.LookWhenIdle },
        // The keeper's answer
        { "the window still has tokens: take on them", () => UrgentLane.Answered(Quiet, 12, false, windowTokens: 3, false, true, true), Quiet, UrgentStep.Take },
        { "tokens to lend: look at the head", () => UrgentLane.Answered(Quiet, 12, false, 0, false, true, true), Quiet with { Looked = true }, UrgentStep.LookAtHead },
        { "a look put off by another node's take", () => UrgentLane.Answered(Quiet, 12, busyElsewhere: true, 0, false, true, true), Quiet, UrgentStep.LookShortly },
        { "nothing to lend, with the signal: no look", () => UrgentLane.Answered(Quiet, 0, false, 0, false, true, true), Quiet, UrgentStep.Skip },
        { "nothing to lend, without the signal: one look a window, to see the head", () => UrgentLane.Answered(Quiet, 0, false, 0, false, true, signalled: false),
            Quiet with { Looked = true }, UrgentStep.LookAtHead },
        { "nothing to lend, looked already this window", () => UrgentLane.Answered(Quiet with { Looked = true }, 0, false, 0, false, true, signalled: false),
            Quiet with { Looked = true }, UrgentStep.Skip },
        { "Brevo failing in this window: nothing lent, the signal makes no look", () => UrgentLane.Answered(Quiet, 12, false, 0, windowHalted: true, true, true), Quiet, UrgentStep.Skip },
        { "the lane off: nothing lent", () => UrgentLane.Answered(Quiet, 12, false, 0, false, laneEnabled: false, true), Quiet, UrgentStep.Skip },
        // Windows
        { "a window opening with nothing under way: one look once it is spent", () => (UrgentLane.WindowOpened(Quiet with { Looked = true }, signalled: true), UrgentStep.None),
            new UrgentLook(AfterWindow: true), UrgentStep.None },
        { "a window opening during a look or a take: not yet looked in, and a look due stays due", () =>
            (UrgentLane.WindowOpenedDuringTake(new UrgentLook(Pending: true, Looked: true)), UrgentStep.None), new UrgentLook(Pending: true), UrgentStep.None },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void UrgentLane_should_decide_as_the_table_says(string why, Func<(UrgentLook, UrgentStep)> happened, UrgentLook state, UrgentStep step)
    {
        Assert.NotEmpty(why);
        Assert.Equal((state, step), happened());
    }

    [Theory]
    [InlineData(3, 0, UrgentStep.Take)]
    [InlineData(0, 10, UrgentStep.Look)]
    [InlineData(0, 64, UrgentStep.None)]
    public void UrgentLane_should_take_on_window_tokens_and_stop_looking_with_too_much_unsettled(int windowTokens, int inFlight, UrgentStep step) =>
        Assert.Equal(step, UrgentLane.Ask(windowTokens, inFlight));
}
