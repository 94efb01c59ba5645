using Acaso.Mail.Actors.Storage;
using Acaso.Mail.Actors.Tests.Support;
using Polly.Timeout;

namespace Acaso.Mail.Actors.Tests.Storage;

/// <summary>
/// <see cref="StoreCall"/> on Polly: an attempt that hangs is cancelled at its timeout and tried again, and a call
/// whose actor stops is cancelled in the database too, so an outage leaves no statement or thread behind.
/// </summary>
public sealed class StoreCallSpecs : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync("store_call");

    public Task DisposeAsync() => _database.DisposeAsync().AsTask();

    [Fact]
    public async Task An_attempt_that_hangs_should_be_cancelled_at_its_timeout_and_the_next_one_should_serve()
    {
        var cancelled = new List<int>();
        var failures = new List<(Type Error, int Attempt)>();
        var attempts = 0;

        var result = await StoreCall.UntilDoneAsync(async token =>
        {
            var attempt = Interlocked.Increment(ref attempts);
            if (attempt == 1)
            {
                using var _ = token.Register(() => cancelled.Add(attempt));
                await Task.Delay(Timeout.Infinite, token);
            }

            return attempt;
        }, (e, attempt) => failures.Add((e.GetType(), attempt)), CancellationToken.None);

        Assert.Equal(2, result);
        Assert.Equal([1], cancelled);
        Assert.Equal([(typeof(TimeoutRejectedException), 1)], failures);
    }

    [Fact]
    public async Task Failures_should_be_retried_with_each_attempt_numbered_until_one_succeeds()
    {
        var attempts = 0;
        var heard = new List<int>();

        await StoreCall.UntilDoneAsync(_ =>
            Interlocked.Increment(ref attempts) <= 3
                ? Task.FromException(new InvalidOperationException("57P01: terminating connection due to administrator command"))
                : Task.CompletedTask,
            (_, attempt) => heard.Add(attempt), CancellationToken.None);

        Assert.Equal(4, attempts);
        Assert.Equal([1, 2, 3], heard);
    }

    [Fact]
    public async Task A_call_whose_actor_stops_should_end_its_statement_in_the_database()
    {
        var db = new PostgresState(_database.Source);
        using var stopping = new CancellationTokenSource();
        var call = StoreCall.UntilDoneAsync(token => db.ExecuteAsync("SELECT pg_sleep(60) /* store-call-spec */", token),
            (_, _) => { }, stopping.Token);
        await UntilAsync(async () => await SleepingAsync() == 1, "the statement to start");

        await stopping.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await UntilAsync(async () => await SleepingAsync() == 0, "the server to end the statement");
    }

    private async Task<long> SleepingAsync() =>
        (long)(await new PostgresState(_database.Source).ScalarAsync(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(60) /* store-call-spec */%' AND state = 'active'",
            CancellationToken.None))!;

    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"waited 10 s for {what}");
            await Task.Delay(50);
        }
    }
}
