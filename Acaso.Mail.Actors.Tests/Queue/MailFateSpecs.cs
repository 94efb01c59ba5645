using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Queue;

namespace Acaso.Mail.Actors.Tests.Queue;

/// <summary>The reader's decisions about one mail, as tables: outcome × window state → disposition, token, count, event.</summary>
public sealed class MailFateSpecs
{
    private const int Max = 3;

    private static readonly Dictionary<string, SendOutcome> Outcomes = new()
    {
        ["sent"] = new Sent("<id@relay>"),
        ["duplicate"] = new Sent(null),
        ["invalid"] = new PermanentFailure(400, "invalid_parameter", "to is invalid"),
        ["unauthorized"] = new PermanentFailure(401, "unauthorized", "Key not found"),
        ["no_credits"] = new PermanentFailure(402, "not_enough_credits", "no credit"),
        ["server_error"] = new TransientFailure("server_error", "503"),
        ["timeout"] = new TransientFailure("timeout", "no answer", Ambiguous: true),
    };

    public static IEnumerable<object[]> SendTable =>
    [
        // outcome, may have charged, current window, failed before → disposition, reason, charged, token back, halt, count, event
        ["sent", true, true, 0, Disposition.Ack, "sent", true, false, false, FailedWindowChange.Forget, SendEvent.Sent],
        ["sent", true, false, 2, Disposition.Ack, "sent", true, false, false, FailedWindowChange.Forget, SendEvent.Sent],
        // A duplicate after this send's own attempt timed out: that attempt went through and was charged.
        ["duplicate", true, true, 0, Disposition.Ack, "sent", true, false, false, FailedWindowChange.Forget, SendEvent.Sent],
        // A duplicate of another send's key (a node that died after sending it): that send's token counts the charge.
        ["duplicate", false, true, 0, Disposition.Ack, "sent", false, true, false, FailedWindowChange.Forget, SendEvent.Sent],
        ["duplicate", false, false, 1, Disposition.Ack, "sent", false, true, false, FailedWindowChange.Forget, SendEvent.Sent],
        ["invalid", false, true, 0, Disposition.DeadLetter, "brevo_invalid_parameter", false, true, false, FailedWindowChange.Forget, SendEvent.FailedDeadLettered],
        ["invalid", true, true, 1, Disposition.DeadLetter, "brevo_invalid_parameter", true, false, false, FailedWindowChange.Forget, SendEvent.FailedDeadLettered],
        ["unauthorized", false, true, 1, Disposition.Requeue, "brevo_unauthorized", false, false, true, FailedWindowChange.Keep, SendEvent.FailedRequeued],
        ["no_credits", false, false, 0, Disposition.Requeue, "brevo_not_enough_credits", false, false, false, FailedWindowChange.Keep, SendEvent.FailedRequeued],
        ["server_error", false, true, 0, Disposition.Requeue, "server_error", false, false, true, FailedWindowChange.Increment, SendEvent.FailedRequeued],
        ["server_error", false, false, 1, Disposition.Requeue, "server_error", false, false, false, FailedWindowChange.Increment, SendEvent.FailedRequeued],
        ["server_error", false, true, Max - 1, Disposition.DeadLetter, RejectReasons.TransientExhausted, false, false, true, FailedWindowChange.Forget, SendEvent.FailedDeadLettered],
        ["timeout", true, true, 0, Disposition.Requeue, "timeout", true, false, true, FailedWindowChange.Increment, SendEvent.FailedRequeued],
        ["timeout", true, false, Max - 1, Disposition.DeadLetter, RejectReasons.TransientExhausted, true, false, false, FailedWindowChange.Forget, SendEvent.FailedDeadLettered],
    ];

    [Theory]
    [MemberData(nameof(SendTable))]
    public void MailFate_should_decide_a_send_outcome_as_the_table_says(string outcome, bool mayHaveCharged, bool currentWindow, int failedBefore,
        Disposition disposition, string reason, bool charged, bool tokenBack, bool halt, FailedWindowChange count, SendEvent published)
    {
        var verdict = MailFate.OnSendCompleted(Outcomes[outcome], mayHaveCharged, currentWindow, failedBefore, Max);
        Assert.Equal((disposition, reason, charged, tokenBack, halt, count, published),
            (verdict.Disposition, verdict.Reason, verdict.Charged, verdict.ReturnToken, verdict.HaltWindow, verdict.FailedWindows, verdict.Event));
    }

    [Fact]
    public void MailFate_should_say_in_how_many_windows_Brevo_failed_on_an_exhausted_mail()
    {
        var verdict = MailFate.OnSendCompleted(Outcomes["server_error"], false, true, Max - 1, Max);
        Assert.Equal($"Brevo failed on it in {Max} windows in a row; last: server_error", verdict.Detail);
    }

    public static TheoryData<bool, bool, string?, bool, bool, bool, Disposition?, string, bool> TakeTable => new()
    {
        // valid, already sent, suppressed, look, urgent, halted → disposition (null: reserve and send), reason, token back
        { true, false, null, false, false, false, null, "", false },
        { true, false, null, false, true, false, null, "", false },
        { false, false, null, false, false, false, Disposition.DeadLetter, "invalid_json", true },
        { false, false, null, true, true, false, Disposition.DeadLetter, "invalid_json", false },
        { true, true, null, false, false, false, Disposition.Ack, "already_sent", true },
        { true, true, null, true, true, false, Disposition.Ack, "already_sent", false },
        { true, true, "hard_bounce", false, false, false, Disposition.Ack, "already_sent", true },
        { true, false, "hard_bounce", false, false, false, Disposition.DeadLetter, "suppressed", true },
        { true, false, "spam", true, true, false, Disposition.DeadLetter, "suppressed", false },
        { true, false, "spam", false, false, true, Disposition.DeadLetter, "suppressed", true },
        { true, false, null, true, false, false, Disposition.Requeue, "not_urgent", false },
        { true, false, null, true, true, false, null, "", false },
        { true, false, null, true, true, true, Disposition.Requeue, "window_halted", false },
        { true, false, null, false, false, true, Disposition.Requeue, "window_halted", false },
    };

    [Theory]
    [MemberData(nameof(TakeTable))]
    public void MailFate_should_decide_a_taken_message_as_the_table_says(bool valid, bool alreadySent, string? suppressed, bool look, bool urgent,
        bool halted, Disposition? disposition, string reason, bool tokenBack)
    {
        var parsed = valid
            ? MailRequestParser.Parse(Support.Mails.Body(1, DateTimeOffset.UtcNow.AddDays(2)), 150, DateTimeOffset.UtcNow)
            : ParseResult.Reject("invalid_json", "the body is not JSON");
        var verdict = MailFate.OnTaken(parsed, alreadySent, suppressed, look, urgent, halted);
        Assert.Equal((disposition, reason, tokenBack), (verdict.Disposition, verdict.Reason, verdict.ReturnToken));
    }
}
