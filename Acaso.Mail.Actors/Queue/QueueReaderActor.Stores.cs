using Akka.Event;
using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Sending;
using Acaso.Mail.Actors.Storage;
using Akka.Actor;

namespace Acaso.Mail.Actors.Queue;

/// <summary>
/// What the reader asks of its stores (the sent ledger, the failed-window counts, the suppression list), none of it on
/// its own thread: each call runs through <see cref="StoreCall"/> (the thread pool, a timeout an attempt, retried with
/// backoff until it succeeds) and its answer is piped back. While the database is away the mail waits in flight,
/// unacked and its token held: nothing is decided on a guess, a mail Brevo accepted is acked only once its ledger row
/// is written, and a redelivery of a mail accepted meanwhile is known here (<see cref="_unrecorded"/>) and not sent
/// again. The reader never throws for a store, so no restart loses what is in flight.
/// </summary>
public sealed partial class QueueReaderActor
{
    // Cancels the store calls still retrying when the reader stops.
    private readonly CancellationTokenSource _stopping = new();
    // Keys Brevo accepted whose ledger row is not written yet.
    private readonly HashSet<Guid> _unrecorded = [];

    /// <summary>Asks whether a mail just taken was already sent (a redelivery) and whether its recipient is suppressed.</summary>
    private void Check(InFlight mail)
    {
        var request = mail.Request!;
        var key = request.IdempotencyKey;
        var tag = mail.Message.DeliveryTag;
        var redelivered = mail.Message.Redelivered;
        if (redelivered && _unrecorded.Contains(key))
        {
            Decide(mail, new TakeChecks(AlreadySent: true, Suppressed: null));
            return;
        }

        var ledger = redelivered ? _sentLedger : null;
        var store = _delivery?.Store;
        if (ledger is null && store is null)
        {
            Decide(mail, new TakeChecks(AlreadySent: false, Suppressed: null));
            return;
        }

        var email = request.RecipientEmail;
        StoreCall.UntilDoneAsync(
                () => new TakeChecks(ledger?.Contains(key) == true, store?.Suppressed(email)?.Reason),
                StoreFailed("the sent ledger or the suppression list"), _stopping.Token)
            .PipeTo(Self, success: checks => new Checked(tag, checks), failure: _ => StoreCallCancelled.Instance);
    }

    private void Handle(Checked answer)
    {
        if (_inFlight.TryGetValue(answer.Tag, out var mail) && !mail.Decided)
        {
            Decide(mail, answer.Checks);
        }
    }

    /// <summary>
    /// Decides a send's outcome with the mail's failed-window count (read only after a transient failure) and writes
    /// down what it changes: the ledger row of a sent mail, the count of a failed one. Then <see cref="Recorded"/>.
    /// </summary>
    private void Record(InFlight mail, SendingProtocol.SendCompleted completed)
    {
        var key = mail.Request!.IdempotencyKey;
        var currentWindow = mail.Window == _window.Id;
        var redelivered = mail.Message.Redelivered;
        if (completed.Outcome is Sent)
        {
            _unrecorded.Add(key);
        }

        var (failedWindows, ledger, max) = (_failedWindows, _sentLedger, _settings.MaxFailedWindows);
        var failed = StoreFailed("the sent ledger or the failed-window counts");
        var stopping = _stopping.Token;

        async Task<SendVerdict> DecideAndWrite()
        {
            var before = completed.Outcome is Sent or PermanentFailure
                ? 0
                : await StoreCall.UntilDoneAsync(() => failedWindows.Count(key), failed, stopping).ConfigureAwait(false);
            var verdict = MailFate.OnSendCompleted(completed.Outcome, completed.MayHaveCharged, currentWindow, before, max);
            if (verdict.Event == SendEvent.Sent && ledger is not null)
            {
                await StoreCall.UntilDoneAsync(() => ledger.Record(key), failed, stopping).ConfigureAwait(false);
            }

            switch (verdict.FailedWindows)
            {
                case FailedWindowChange.Increment:
                    // Repeated only when an attempt timed out and still went through: the count may then run one ahead.
                    await StoreCall.UntilDoneAsync(() => failedWindows.Increment(key), failed, stopping).ConfigureAwait(false);
                    break;
                case FailedWindowChange.Forget when redelivered:
                    // Only a mail that failed before has a count, and it failed only if it was requeued, so it comes back
                    // redelivered: the first delivery of a mail (nearly every mail) costs the store nothing, which matters
                    // when the store is the cluster's shared database.
                    await StoreCall.UntilDoneAsync(() => failedWindows.Forget(key), failed, stopping).ConfigureAwait(false);
                    break;
            }

            return verdict;
        }

        DecideAndWrite().PipeTo(Self, success: verdict => new Recorded(completed, verdict), failure: _ => StoreCallCancelled.Instance);
    }

    /// <summary>Says (on the first failure, then one in ten) that a store call keeps failing; the call is retried meanwhile.</summary>
    private Action<Exception, int> StoreFailed(string what)
    {
        var log = _log;
        return (e, attempt) =>
        {
            if (StoreCall.WorthSaying(attempt))
            {
                log.Warning("A call to {Store} failed ({Attempt} attempts so far): {Error}; the mail waits in flight and it is tried again",
                    what, attempt, e.GetBaseException().Message);
            }
        };
    }

    /// <summary>What the stores know of a mail just taken.</summary>
    /// <param name="AlreadySent">A redelivery whose key Brevo already accepted.</param>
    /// <param name="Suppressed">Why its recipient is suppressed, or null.</param>
    private sealed record TakeChecks(bool AlreadySent, string? Suppressed);

    /// <summary>The stores answered for the mail taken under <paramref name="Tag"/>.</summary>
    private sealed record Checked(ulong Tag, TakeChecks Checks);

    /// <summary>A send's outcome, decided and written down.</summary>
    private sealed record Recorded(SendingProtocol.SendCompleted Completed, SendVerdict Verdict);

    /// <summary>A store call given up because the reader is stopping.</summary>
    private sealed record StoreCallCancelled
    {
        public static readonly StoreCallCancelled Instance = new();
    }
}
