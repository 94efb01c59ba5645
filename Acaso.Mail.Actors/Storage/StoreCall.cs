using Polly;
using Polly.Retry;

namespace Acaso.Mail.Actors.Storage;

/// <summary>
/// A store call (SQLite, PostgreSQL) made from an actor, through a Polly pipeline: each attempt is an asynchronous
/// database call given <see cref="AttemptTimeout"/>, after which its token is cancelled (PostgreSQL then stops the
/// statement on the server too, so an outage does not pile up waiting calls); a failed or timed-out attempt is tried
/// again after a backoff that doubles from <see cref="FirstBackoff"/> to <see cref="MaxBackoff"/>, until one succeeds
/// or <c>cancellation</c> fires (the actor stopped). The call starts on the thread pool, off the actor's thread
/// (Microsoft.Data.Sqlite completes its calls synchronously), and the actor pipes the result back to itself, so a
/// database that blinks delays its work and never throws into it. An attempt cancelled at its timeout may still have
/// been committed: calls made this way must be safe to repeat.
/// </summary>
public static class StoreCall
{
    /// <summary>How long one attempt may take before it is cancelled and counts as failed.</summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The wait after the first failed attempt.</summary>
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest wait between attempts: a database back from an outage is used again within this.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(4);

    private static readonly ResiliencePropertyKey<Action<Exception, int>> FailedKey = new("acaso.store-call.failed");

    // One pipeline for every call: what a call says of its failures travels in its context.
    private static readonly ResiliencePipeline Pipeline = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = false,
            Delay = FirstBackoff,
            MaxDelay = MaxBackoff,
            // Every failure but the caller's own cancellation (a timed-out attempt comes back as TimeoutRejectedException).
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is not null && !args.Context.CancellationToken.IsCancellationRequested),
            OnRetry = args =>
            {
                if (args.Outcome.Exception is { } e && args.Context.Properties.TryGetValue(FailedKey, out var failed))
                {
                    failed(e, args.AttemptNumber + 1);
                }

                return ValueTask.CompletedTask;
            },
        })
        .AddTimeout(AttemptTimeout)
        .Build();

    /// <summary>
    /// Runs <paramref name="call"/> until it succeeds; <paramref name="failed"/> hears of each failed attempt (its
    /// number from 1) so the caller can say so without saying it on every retry.
    /// </summary>
    public static Task<T> UntilDoneAsync<T>(Func<CancellationToken, Task<T>> call, Action<Exception, int> failed, CancellationToken cancellation) =>
        Task.Run(async () =>
        {
            var context = ResilienceContextPool.Shared.Get(cancellation);
            context.Properties.Set(FailedKey, failed);
            try
            {
                return await Pipeline.ExecuteAsync(static async (attempt, call) => await call(attempt.CancellationToken).ConfigureAwait(false),
                    context, call).ConfigureAwait(false);
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }
        }, cancellation);

    /// <summary>Runs <paramref name="call"/> until it succeeds (a write).</summary>
    public static Task UntilDoneAsync(Func<CancellationToken, Task> call, Action<Exception, int> failed, CancellationToken cancellation) =>
        UntilDoneAsync(async attempt =>
        {
            await call(attempt).ConfigureAwait(false);
            return true;
        }, failed, cancellation);

    /// <summary>True for the attempts worth a log line: the first failure, then one in ten.</summary>
    public static bool WorthSaying(int attempt) => attempt == 1 || attempt % 10 == 0;
}
