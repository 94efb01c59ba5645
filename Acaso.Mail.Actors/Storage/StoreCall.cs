namespace Acaso.Mail.Actors.Storage;

/// <summary>
/// A blocking store call (SQLite, PostgreSQL) made off an actor's thread: each attempt runs on the thread pool within
/// <see cref="AttemptTimeout"/>, and a failed or timed-out attempt is tried again after a backoff that doubles from
/// <see cref="FirstBackoff"/> to <see cref="MaxBackoff"/>, until one succeeds or <c>cancellation</c> fires (the actor
/// stopped). The actor pipes the result back to itself, so a database that blinks delays its work and never throws
/// into it. An attempt that timed out may still complete behind the next: calls made this way must be safe to repeat.
/// </summary>
public static class StoreCall
{
    /// <summary>How long one attempt may take before it counts as failed.</summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The wait after the first failed attempt.</summary>
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest wait between attempts: a database back from an outage is used again within this.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(4);

    /// <summary>
    /// Runs <paramref name="call"/> until it succeeds; <paramref name="failed"/> hears of each failed attempt (its
    /// number from 1) so the caller can say so without saying it on every retry.
    /// </summary>
    public static async Task<T> UntilDoneAsync<T>(Func<T> call, Action<Exception, int> failed, CancellationToken cancellation)
    {
        var backoff = FirstBackoff;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await Task.Run(call, cancellation).WaitAsync(AttemptTimeout, cancellation).ConfigureAwait(false);
            }
            catch (Exception e) when (!cancellation.IsCancellationRequested)
            {
                failed(e, attempt);
            }

            await Task.Delay(backoff, cancellation).ConfigureAwait(false);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    /// <summary>Runs <paramref name="call"/> until it succeeds (a write).</summary>
    public static Task UntilDoneAsync(Action call, Action<Exception, int> failed, CancellationToken cancellation) =>
        UntilDoneAsync(() =>
        {
            call();
            return true;
        }, failed, cancellation);

    /// <summary>True for the attempts worth a log line: the first failure, then one in ten.</summary>
    public static bool WorthSaying(int attempt) => attempt == 1 || attempt % 10 == 0;
}
