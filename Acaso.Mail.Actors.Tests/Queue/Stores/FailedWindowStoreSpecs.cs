using Acaso.Mail.Actors.Queue.Stores;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Tests.Support;

namespace Acaso.Mail.Actors.Tests.Queue.Stores;

/// <summary>The SQLite store of failed windows under a temporary state directory.</summary>
public sealed class FailedWindowStoreSpecs : IDisposable
{
    private readonly TempStateDir _state = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));

    private string Dir => _state.Path;

    public void Dispose() => _state.Dispose();

    [Fact]
    public async Task Counts_should_add_up_per_key_and_survive_a_reopen()
    {
        var a = Guid.NewGuid();
        var b = Guid.NewGuid();
        var store = new SqliteFailedWindowStore(Dir, _clock);
        Assert.Equal(1, await store.IncrementAsync(a, default));
        Assert.Equal(2, await store.IncrementAsync(a, default));
        Assert.Equal(1, await store.IncrementAsync(b, default));

        var reopened = new SqliteFailedWindowStore(Dir, _clock);
        Assert.Equal(3, await reopened.IncrementAsync(a, default));
        Assert.Equal(2, await reopened.IncrementAsync(b, default));
    }

    [Fact]
    public async Task A_forgotten_key_should_start_again_from_one_even_after_a_reopen()
    {
        var key = Guid.NewGuid();
        var store = new SqliteFailedWindowStore(Dir, _clock);
        await store.IncrementAsync(key, default);
        await store.IncrementAsync(key, default);

        var reopened = new SqliteFailedWindowStore(Dir, _clock);
        await reopened.ForgetAsync(key, default);
        Assert.Equal(1, await new SqliteFailedWindowStore(Dir, _clock).IncrementAsync(key, default));
    }

    [Fact]
    public async Task Counts_untouched_for_longer_than_the_retention_should_be_dropped_when_the_store_opens()
    {
        var stale = Guid.NewGuid();
        var fresh = Guid.NewGuid();
        var store = new SqliteFailedWindowStore(Dir, _clock);
        await store.IncrementAsync(stale, default);
        _clock.Now += SqliteFailedWindowStore.Retention - TimeSpan.FromDays(1);
        await store.IncrementAsync(fresh, default);
        _clock.Now += TimeSpan.FromDays(2);

        var reopened = new SqliteFailedWindowStore(Dir, _clock);
        Assert.Equal(1, await reopened.IncrementAsync(stale, default));
        Assert.Equal(2, await reopened.IncrementAsync(fresh, default));
    }

    [Fact]
    public async Task The_in_memory_store_should_count_and_forget_alike()
    {
        var key = Guid.NewGuid();
        var store = new InMemoryFailedWindowStore();
        Assert.Equal(1, await store.IncrementAsync(key, default));
        Assert.Equal(2, await store.IncrementAsync(key, default));
        await store.ForgetAsync(key, default);
        Assert.Equal(1, await store.IncrementAsync(key, default));
    }
}
