using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Settings;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Acaso.Mail.Actors.Sending;

/// <summary>What one resilient send did, attempt by attempt.</summary>
public sealed class SendAttempts
{
    /// <summary>HTTP attempts made.</summary>
    public int Count { get; set; }

    /// <summary>True when any attempt may have reached Brevo (a timeout, a reset, a 2xx).</summary>
    public bool MayHaveCharged { get; set; }
}

/// <summary>
/// The Polly 8 pipeline every MailSender sends through, shared so its circuit breaker sees all of Brevo's answers:
/// retry with exponential backoff and jitter on transient outcomes (honouring <c>x-sib-ratelimit-reset</c> on 429),
/// a circuit breaker so an outage does not burn through the queue, and a timeout on each attempt.
/// </summary>
public sealed class BrevoResilience
{
    private static readonly ResiliencePropertyKey<SendAttempts> AttemptsKey = new("acaso.attempts");

    private readonly IBrevoClient _brevo;
    private readonly BrevoSettings _settings;
    private readonly ResiliencePipeline<SendOutcome> _pipeline;

    /// <summary>Builds the pipeline around <paramref name="brevo"/>; <paramref name="time"/> drives its delays.</summary>
    public BrevoResilience(IBrevoClient brevo, BrevoSettings settings, TimeProvider? time = null)
    {
        _brevo = brevo;
        _settings = settings;
        _pipeline = Build(time ?? TimeProvider.System);
    }

    /// <summary>Raised on each retry with the reason of the failed attempt, for the metrics.</summary>
    public event Action<string>? Retrying;

    private ResiliencePipeline<SendOutcome> Build(TimeProvider clock) =>
        new ResiliencePipelineBuilder<SendOutcome> { TimeProvider = clock }
            .AddRetry(new RetryStrategyOptions<SendOutcome>
            {
                MaxRetryAttempts = Math.Max(1, _settings.RetryAttempts),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _settings.RetryBaseDelay,
                MaxDelay = _settings.RetryMaxDelay,
                ShouldHandle = args => ValueTask.FromResult(_settings.RetryAttempts > 0 && IsRetryable(args.Outcome)),
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Result is TransientFailure { RetryAfter: { } reset }
                        ? (TimeSpan?)(reset < _settings.RetryMaxDelay ? reset : _settings.RetryMaxDelay)
                        : null),
                OnRetry = args =>
                {
                    Retrying?.Invoke(ReasonOf(args.Outcome));
                    return ValueTask.CompletedTask;
                },
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<SendOutcome>
            {
                FailureRatio = 0.5,
                MinimumThroughput = 4,
                SamplingDuration = TimeSpan.FromSeconds(30),
                BreakDuration = _settings.BreakerBreak,
                ShouldHandle = args => ValueTask.FromResult(IsRetryable(args.Outcome)),
            })
            .AddTimeout(_settings.AttemptTimeout)
            .Build();

    private static string ReasonOf(Outcome<SendOutcome> outcome) => outcome switch
    {
        { Result: TransientFailure failure } => failure.Reason,
        { Exception: TimeoutRejectedException } => "timeout",
        { Exception: { } e } => e.GetType().Name,
        _ => "unknown",
    };

    private static bool IsRetryable(Outcome<SendOutcome> outcome) =>
        outcome.Exception is TimeoutRejectedException or HttpRequestException
        || outcome.Result is TransientFailure;

    /// <summary>Sends <paramref name="body"/> through the pipeline; never throws for Brevo's sake.</summary>
    public async Task<(SendOutcome Outcome, SendAttempts Attempts)> SendAsync(byte[] body, CancellationToken cancellationToken)
    {
        var attempts = new SendAttempts();
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(AttemptsKey, attempts);
        try
        {
            var outcome = await _pipeline.ExecuteOutcomeAsync(
                static async (ctx, state) =>
                {
                    var (client, payload) = state;
                    var tally = ctx.Properties.GetValue(AttemptsKey, new SendAttempts());
                    tally.Count++;
                    try
                    {
                        var result = await client.SendAsync(payload, ctx.CancellationToken).ConfigureAwait(false);
                        tally.MayHaveCharged |= result.MayHaveCharged;
                        return Outcome.FromResult(result);
                    }
                    catch (OperationCanceledException e)
                    {
                        // The attempt's timeout fired while the request was out: Brevo may have taken it.
                        tally.MayHaveCharged = true;
                        return Outcome.FromException<SendOutcome>(e);
                    }
                },
                context,
                (_brevo, (ReadOnlyMemory<byte>)body))
                .ConfigureAwait(false);

            return (outcome.Exception switch
            {
                null => outcome.Result!,
                BrokenCircuitException => new TransientFailure("circuit_open", "Brevo kept failing: the circuit is open"),
                TimeoutRejectedException => new TransientFailure("timeout", "Brevo did not answer in time", Ambiguous: true),
                OperationCanceledException when cancellationToken.IsCancellationRequested =>
                    new TransientFailure("cancelled", "the send was cancelled by shutdown", Ambiguous: attempts.MayHaveCharged),
                var e => new TransientFailure("unexpected", e.GetType().Name),
            }, attempts);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }
}
