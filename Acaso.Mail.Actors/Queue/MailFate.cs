using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Contract;

namespace Acaso.Mail.Actors.Queue;

/// <summary>How a taken message leaves the reader's hands.</summary>
public enum Disposition
{
    /// <summary>Its outcome is final: remove it from the queue.</summary>
    Ack,

    /// <summary>Back to its place in the priority order, for a later window.</summary>
    Requeue,

    /// <summary>To the dead-letter queue with its reason.</summary>
    DeadLetter,
}

/// <summary>What a send's outcome does to the mail's count of windows in which Brevo failed on it.</summary>
public enum FailedWindowChange
{
    /// <summary>Left as it is (Brevo refused the account, not the mail).</summary>
    Keep,

    /// <summary>One more failed window.</summary>
    Increment,

    /// <summary>The mail is done with (sent or dead-lettered): forget its count.</summary>
    Forget,
}

/// <summary>What the reader publishes about a send.</summary>
public enum SendEvent
{
    /// <summary>Brevo accepted it.</summary>
    Sent,

    /// <summary>It failed and went back to the queue.</summary>
    FailedRequeued,

    /// <summary>It failed for good and went to the dead-letter queue.</summary>
    FailedDeadLettered,
}

/// <summary>
/// What becomes of a message just taken, before any token is reserved: <see cref="Disposition"/> null means
/// "reserve a token and send it"; otherwise it is settled at once with <see cref="Reason"/>.
/// </summary>
/// <param name="Disposition">Null: reserve and send. Otherwise how it is settled now.</param>
/// <param name="Reason">The stable reason (a dead letter's, or why it went back).</param>
/// <param name="Detail">A dead letter's detail (names the field, never its value).</param>
/// <param name="ReturnToken">The take's token is free again for the next mail of the window.</param>
public sealed record TakeVerdict(Disposition? Disposition, string Reason = "", string Detail = "", bool ReturnToken = false)
{
    /// <summary>Reserve a token and send.</summary>
    public static TakeVerdict Send { get; } = new(Disposition: null);
}

/// <summary>What becomes of a mail once its send has ended.</summary>
/// <param name="Disposition">Ack, requeue or dead-letter.</param>
/// <param name="Reason">The stable reason.</param>
/// <param name="Detail">A dead letter's detail.</param>
/// <param name="Charged">The token counts against the day (Brevo may have charged it).</param>
/// <param name="ReturnToken">The window gets the token back for the next mail.</param>
/// <param name="HaltWindow">The rest of the window waits: the next take would meet the same Brevo.</param>
/// <param name="FailedWindows">What happens to the mail's failed-window count.</param>
/// <param name="Event">What is published.</param>
public sealed record SendVerdict(Disposition Disposition, string Reason, string Detail, bool Charged, bool ReturnToken, bool HaltWindow,
    FailedWindowChange FailedWindows, SendEvent Event);

/// <summary>
/// The reader's decisions about one mail, as pure functions of what it knows: no actor state, no I/O, so a table of
/// cases specifies them (<c>MailFateSpecs</c>). The reader carries them out.
/// </summary>
public static class MailFate
{
    /// <summary>Decides about a message just taken.</summary>
    /// <param name="parsed">The contract's verdict on its body and priority.</param>
    /// <param name="alreadySent">A redelivery whose key Brevo already accepted (the sent ledger knows it).</param>
    /// <param name="suppressed">Why its recipient is on the suppression list, or null when it is not.</param>
    /// <param name="look">Taken between windows, with no token, to look at the queue head.</param>
    /// <param name="urgent">At or above the urgent lane's threshold.</param>
    /// <param name="windowHalted">Brevo failed (or refused the account) in the current window.</param>
    public static TakeVerdict OnTaken(ParseResult parsed, bool alreadySent, string? suppressed, bool look, bool urgent, bool windowHalted)
    {
        if (parsed.Rejection is { } rejection)
        {
            // Bad input never holds a token: the take's token serves the next mail.
            return new TakeVerdict(Disposition.DeadLetter, rejection.Reason, rejection.Detail, ReturnToken: !look);
        }

        if (alreadySent)
        {
            // Brevo accepted it, then the service died before the ack: it was mailed and charged already.
            return new TakeVerdict(Disposition.Ack, "already_sent", ReturnToken: !look);
        }

        if (suppressed is not null)
        {
            // No token, no Brevo call, no credit: a bounced or complaining address would only cost one and hurt the sender's name.
            return new TakeVerdict(Disposition.DeadLetter, "suppressed", $"recipient.email is on the suppression list ({suppressed})", ReturnToken: !look);
        }

        if (look && !urgent)
        {
            // Between windows only urgent mail may go: this one keeps its place for its window.
            return new TakeVerdict(Disposition.Requeue, "not_urgent");
        }

        // Taken just before Brevo failed in this window: it waits with the rest, at its place.
        return windowHalted ? new TakeVerdict(Disposition.Requeue, "window_halted") : TakeVerdict.Send;
    }

    /// <summary>Decides about a mail whose send has ended.</summary>
    /// <param name="outcome">Brevo's last answer, after the retries.</param>
    /// <param name="mayHaveCharged">Some attempt may have reached Brevo and been charged (a duplicate answer is not charged).</param>
    /// <param name="currentWindow">The mail's token belongs to the window still open.</param>
    /// <param name="failedWindowsBefore">Windows in which Brevo failed on this mail before this one.</param>
    /// <param name="maxFailedWindows"><c>MAIL_MAX_FAILED_WINDOWS</c>.</param>
    public static SendVerdict OnSendCompleted(SendOutcome outcome, bool mayHaveCharged, bool currentWindow, int failedWindowsBefore,
        int maxFailedWindows)
    {
        switch (outcome)
        {
            case Sent { WasDuplicate: true } when !mayHaveCharged:
                // Brevo refused a repeat of a key it had accepted from another send of this mail (a node that died after
                // its send, a redelivery): that send's token counts the charge, so this one returns to its window.
                return new SendVerdict(Disposition.Ack, "sent", "", Charged: false, ReturnToken: true, HaltWindow: false,
                    FailedWindowChange.Forget, SendEvent.Sent);

            case Sent:
                // Accepted, or a duplicate of an earlier attempt of this same send (a timeout that went through): charged.
                return new SendVerdict(Disposition.Ack, "sent", "", Charged: true, ReturnToken: false, HaltWindow: false,
                    FailedWindowChange.Forget, SendEvent.Sent);

            case PermanentFailure { IsAccountProblem: false } permanent:
                // Brevo refused this mail for good: a token it did not charge serves the next mail.
                return new SendVerdict(Disposition.DeadLetter, "brevo_" + permanent.Code, $"{permanent.Status} {permanent.Message}",
                    Charged: mayHaveCharged, ReturnToken: !mayHaveCharged, HaltWindow: false, FailedWindowChange.Forget, SendEvent.FailedDeadLettered);

            case PermanentFailure account:
                // A bad key, no credits, a blocked account: not the mail's fault, so its count stays as it is.
                return new SendVerdict(Disposition.Requeue, "brevo_" + account.Code, "", mayHaveCharged, ReturnToken: false,
                    HaltWindow: currentWindow, FailedWindowChange.Keep, SendEvent.FailedRequeued);

            default:
                var reason = outcome is TransientFailure transient ? transient.Reason : "unknown";
                var failed = failedWindowsBefore + 1;
                return failed >= maxFailedWindows
                    ? new SendVerdict(Disposition.DeadLetter, RejectReasons.TransientExhausted,
                        $"Brevo failed on it in {failed} windows in a row; last: {reason}", mayHaveCharged, ReturnToken: false,
                        HaltWindow: currentWindow, FailedWindowChange.Forget, SendEvent.FailedDeadLettered)
                    : new SendVerdict(Disposition.Requeue, reason, "", mayHaveCharged, ReturnToken: false, HaltWindow: currentWindow,
                        FailedWindowChange.Increment, SendEvent.FailedRequeued);
        }
    }
}
