namespace Acaso.Mail.Actors.Brevo;

/// <summary>What came of one attempt to send a mail through Brevo.</summary>
public abstract record SendOutcome
{
    /// <summary>True when Brevo may have charged a credit for it.</summary>
    public abstract bool MayHaveCharged { get; }
}

/// <summary>Brevo accepted the mail (201), or refused a repeat of an already accepted idempotency key.</summary>
/// <param name="MessageId">Brevo's message id; null when the answer was a duplicate of an earlier accepted attempt.</param>
public sealed record Sent(string? MessageId) : SendOutcome
{
    /// <summary>True when this is Brevo's <c>duplicate_parameter</c> answer to a repeated key: an earlier attempt went through.</summary>
    public bool WasDuplicate => MessageId is null;

    /// <summary>
    /// A duplicate answer was not charged: the attempt that went through was, and whoever sent it counts it (an
    /// earlier attempt of the same send, or another send of the same mail, on this node or another).
    /// </summary>
    public override bool MayHaveCharged => !WasDuplicate;
}

/// <summary>A failure that may pass: 5xx, 429, a timeout, a refused or reset connection.</summary>
/// <param name="Reason">A short stable code: <c>server_error</c>, <c>rate_limited</c>, <c>timeout</c>, <c>connection_failed</c>, <c>circuit_open</c>.</param>
/// <param name="Detail">What happened, for logs (never the API key).</param>
/// <param name="RetryAfter">How long Brevo asked to wait (<c>x-sib-ratelimit-reset</c>), if it said.</param>
/// <param name="Ambiguous">True when the request may have reached Brevo (a timeout, a reset): it may have been charged.</param>
public sealed record TransientFailure(string Reason, string Detail, TimeSpan? RetryAfter = null, bool Ambiguous = false) : SendOutcome
{
    public override bool MayHaveCharged => Ambiguous;
}

/// <summary>Brevo refused the request for good (a 4xx other than 429), with its error code.</summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Code">Brevo's error code, such as <c>invalid_parameter</c>.</param>
/// <param name="Message">Brevo's message.</param>
public sealed record PermanentFailure(int Status, string Code, string Message) : SendOutcome
{
    /// <summary>
    /// 401, 402 and 403 say the account cannot send (bad key, no credits, blocked), not that the mail is bad:
    /// such mail is kept in the queue rather than dead-lettered.
    /// </summary>
    public bool IsAccountProblem => Status is 401 or 402 or 403;

    public override bool MayHaveCharged => false;
}
