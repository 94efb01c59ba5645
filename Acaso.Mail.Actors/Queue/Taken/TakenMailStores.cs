using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Sending;
using Acaso.Mail.Actors.Storage;
using Akka.Event;

namespace Acaso.Mail.Actors.Queue.Taken;

/// <summary>What the stores know of a mail just taken.</summary>
/// <param name="AlreadySent">A redelivery whose key Brevo already accepted.</param>
/// <param name="Suppressed">Why its recipient is suppressed, or null.</param>
public sealed record TakeChecks(bool AlreadySent, string? Suppressed)
{
    /// <summary>Nothing to ask or nothing known.</summary>
    public static TakeChecks None { get; } = new(AlreadySent: false, Suppressed: null);
}

/// <summary>
/// What a mail asks of the stores (the sent ledger, the failed-window counts, the suppression list), each call through
/// <see cref="StoreCall"/>: asynchronous, off the actor's thread, each attempt cancelled at its timeout, retried with backoff until it succeeds or the mail's actor stops.
/// While the database is away the mail waits, unacked and its token held: nothing is decided on a guess, and a mail
/// Brevo accepted is acked only once its ledger row is written.
/// </summary>
public sealed class TakenMailStores(TakenMailServices services, ILoggingAdapter log, CancellationToken stopping)
{
    /// <summary>Whether a mail just taken was already sent (a redelivery) and whether its recipient is suppressed; null when nothing need be asked.</summary>
    public Task<TakeChecks>? Check(MailRequest request, bool redelivered)
    {
        var key = request.IdempotencyKey;
        if (redelivered && services.Memory.AcceptedUnrecorded(key))
        {
            return Task.FromResult(new TakeChecks(AlreadySent: true, Suppressed: null));
        }

        var ledger = redelivered ? services.SentLedger : null;
        var store = services.Delivery?.Store;
        if (ledger is null && store is null)
        {
            return null;
        }

        var email = request.RecipientEmail;
        return StoreCall.UntilDoneAsync(async attempt => new TakeChecks(
                ledger is not null && await ledger.ContainsAsync(key, attempt).ConfigureAwait(false),
                store is null ? null : (await store.SuppressedAsync(email, attempt).ConfigureAwait(false))?.Reason),
            Failed("the sent ledger or the suppression list"), stopping);
    }

    /// <summary>
    /// Decides a send's outcome with the mail's failed-window count (read only after a transient failure) and writes
    /// down what it changes: the ledger row of a sent mail, the count of a failed one.
    /// </summary>
    public async Task<SendVerdict> RecordAsync(MailRequest request, bool redelivered, SendingProtocol.SendCompleted completed)
    {
        var key = request.IdempotencyKey;
        var (failedWindows, ledger) = (services.FailedWindows, services.SentLedger);
        var failed = Failed("the sent ledger or the failed-window counts");
        if (completed.Outcome is Sent)
        {
            services.Memory.Accepted(key);
        }

        var before = completed.Outcome is Sent or PermanentFailure
            ? 0
            : await StoreCall.UntilDoneAsync(attempt => failedWindows.CountAsync(key, attempt), failed, stopping).ConfigureAwait(false);
        // The reader halts only the window still open: a halt of a window gone by changes nothing.
        var verdict = MailFate.OnSendCompleted(completed.Outcome, completed.MayHaveCharged, currentWindow: true, before,
            services.Settings.MaxFailedWindows);
        if (verdict.Event == SendEvent.Sent && ledger is not null)
        {
            await StoreCall.UntilDoneAsync(attempt => ledger.RecordAsync(key, attempt), failed, stopping).ConfigureAwait(false);
        }

        switch (verdict.FailedWindows)
        {
            case FailedWindowChange.Increment:
                // Repeated only when an attempt timed out and still went through: the count may then run one ahead.
                await StoreCall.UntilDoneAsync(attempt => failedWindows.IncrementAsync(key, attempt), failed, stopping).ConfigureAwait(false);
                break;
            case FailedWindowChange.Forget when redelivered:
                // Only a mail that failed before has a count, and it failed only if it was requeued, so it comes back
                // redelivered: the first delivery of a mail (nearly every mail) costs the store nothing, which matters
                // when the store is the cluster's shared database.
                await StoreCall.UntilDoneAsync(attempt => failedWindows.ForgetAsync(key, attempt), failed, stopping).ConfigureAwait(false);
                break;
        }

        return verdict;
    }

    /// <summary>Says (on the first failure, then one in ten) that a store call keeps failing; the call is retried meanwhile.</summary>
    private Action<Exception, int> Failed(string what) => (e, attempt) =>
    {
        if (StoreCall.WorthSaying(attempt))
        {
            log.Warning("A call to {Store} failed ({Attempt} attempts so far): {Error}; the mail waits in flight and it is tried again",
                what, attempt, e.GetBaseException().Message);
        }
    };
}
