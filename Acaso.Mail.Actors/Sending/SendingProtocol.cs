using Acaso.Mail.Actors.Brevo;

namespace Acaso.Mail.Actors.Sending;

/// <summary>The MailSenders' messages.</summary>
public static class SendingProtocol
{
    /// <summary>Send this rendered request; reply a <see cref="SendCompleted"/> to the sender of this message.</summary>
    /// <param name="Tag">The delivery it came from, echoed back.</param>
    /// <param name="Body">The rendered Brevo request body.</param>
    public sealed record SendMail(ulong Tag, byte[] Body);

    /// <summary>The final outcome of a send, after retries.</summary>
    /// <param name="Tag">The delivery it came from.</param>
    /// <param name="Outcome">The last attempt's outcome.</param>
    /// <param name="Attempts">How many HTTP attempts were made.</param>
    /// <param name="MayHaveCharged">True when any attempt may have reached Brevo and been charged.</param>
    /// <param name="Elapsed">From the first attempt to the outcome.</param>
    public sealed record SendCompleted(ulong Tag, SendOutcome Outcome, int Attempts, bool MayHaveCharged, TimeSpan Elapsed);
}
