namespace Acaso.Mail.Actors.Contract;

/// <summary>A validated mail request: what one queue message asks the service to send.</summary>
/// <param name="Template">The Brevo template.</param>
/// <param name="RecipientEmail">Where the mail goes.</param>
/// <param name="RecipientName">The recipient's display name, if the producer gave one.</param>
/// <param name="MentorName">The mentor's name.</param>
/// <param name="MentoredName">The mentored person's name, if any.</param>
/// <param name="MentorId">The mentor's id, if any.</param>
/// <param name="MentoredId">The mentored person's id, if any.</param>
/// <param name="Mentoring">The true instant of the mentoring.</param>
/// <param name="Priority">The AMQP priority the producer set (0 when absent).</param>
/// <param name="IdempotencyKey">A key derived from the message bytes: the same message always gets the same key.</param>
public sealed record MailRequest(
    MailTemplate Template,
    string RecipientEmail,
    string? RecipientName,
    string MentorName,
    string? MentoredName,
    string? MentorId,
    string? MentoredId,
    DateTimeOffset Mentoring,
    byte Priority,
    Guid IdempotencyKey);

/// <summary>Why a message was refused before any send: a stable snake_case code and a human detail.</summary>
public sealed record Rejection(string Reason, string Detail)
{
    public override string ToString() => $"{Reason}: {Detail}";
}

/// <summary>The stable reject reason codes. Dashboards and the dead-letter queue key on these strings.</summary>
public static class RejectReasons
{
    public const string InvalidJson = "invalid_json";
    public const string NotAnObject = "not_an_object";
    public const string MissingField = "missing_field";
    public const string WrongType = "wrong_type";
    public const string UnknownTemplate = "unknown_template";
    public const string InvalidEmail = "invalid_email";
    public const string InvalidDatetime = "invalid_datetime";
    public const string TooLarge = "too_large";
    public const string NotUtf8 = "not_utf8";
    public const string TooDeep = "too_deep";
    public const string Expired = "expired";

    /// <summary>The message carried no AMQP priority, or 0: the producer always sets 1..255.</summary>
    public const string InvalidPriority = "invalid_priority";

    /// <summary>Brevo kept failing on this mail for <c>MAIL_MAX_FAILED_WINDOWS</c> windows in a row.</summary>
    public const string TransientExhausted = "transient_exhausted";

    /// <summary>Every code, for documentation and metrics pre-registration.</summary>
    public static readonly IReadOnlyList<string> All =
        [InvalidJson, NotAnObject, MissingField, WrongType, UnknownTemplate, InvalidEmail, InvalidDatetime, TooLarge, NotUtf8, TooDeep, Expired,
            InvalidPriority, TransientExhausted];
}

/// <summary>The parse result: either a request or a rejection.</summary>
public readonly record struct ParseResult(MailRequest? Request, Rejection? Rejection)
{
    public bool IsValid => Request is not null;

    public static ParseResult Ok(MailRequest request) => new(request, null);

    public static ParseResult Reject(string reason, string detail) => new(null, new Rejection(reason, detail));
}
