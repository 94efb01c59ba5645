using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Storage;
using Akka.Event;

namespace Acaso.Mail.Actors.Budget;

/// <summary>Brevo's answer to the end-of-day credit question (null credits: Brevo could not say).</summary>
internal sealed record CreditsRead(DateOnly Day, int? Credits);

/// <summary>Brevo's credits at start, to cross-check the stored count, and the count to import on an empty journal.</summary>
internal sealed record CreditsAtStart(DateOnly Day, int? Credits, int? Imported);

/// <summary>
/// What the keeper reads from outside, off its own thread, to pipe back to itself: Brevo's remaining credits, and at
/// start the day's count of the service that ran before the journal existed (<c>budget.db</c>).
/// </summary>
internal static class KeeperReads
{
    /// <summary>How long Brevo's account may take to answer before the keeper goes on with its own count.</summary>
    public static readonly TimeSpan AccountTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The free plan's credits, or null when Brevo cannot say within <see cref="AccountTimeout"/>.</summary>
    public static async Task<int?> CreditsAsync(IBrevoClient brevo)
    {
        using var timeout = new CancellationTokenSource(AccountTimeout);
        try
        {
            return await brevo.GetRemainingCreditsAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Brevo's credits, answered as the keeper's <see cref="CreditsRead"/> of <paramref name="day"/>.</summary>
    public static async Task<CreditsRead> AtEndOfDayAsync(DateOnly day, IBrevoClient brevo)
    {
        try
        {
            return new CreditsRead(day, await CreditsAsync(brevo).ConfigureAwait(false));
        }
        catch (Exception)
        {
            return new CreditsRead(day, null);
        }
    }

    /// <summary>
    /// Brevo's credits and, when <paramref name="legacy"/> is given (an empty journal), the day's count it holds: both
    /// in one message, so the keeper decides them in one. The store read is retried until it succeeds or the keeper stops.
    /// </summary>
    public static async Task<CreditsAtStart> AtStartAsync(DateOnly day, IBrevoClient brevo, IBudgetStore? legacy, ILoggingAdapter log,
        CancellationToken stopping)
    {
        int? imported = legacy is null
            ? null
            : await StoreCall.UntilDoneAsync(attempt => legacy.LoadSpentAsync(day, attempt), (e, attempt) =>
            {
                if (StoreCall.WorthSaying(attempt))
                {
                    log.Warning("The count of the service before the journal could not be read ({Attempt} attempts so far): {Error}",
                        attempt, e.GetBaseException().Message);
                }
            }, stopping).ConfigureAwait(false);
        int? credits;
        try
        {
            credits = await CreditsAsync(brevo).ConfigureAwait(false);
        }
        catch (Exception)
        {
            credits = null;
        }

        return new CreditsAtStart(day, credits, imported);
    }
}
