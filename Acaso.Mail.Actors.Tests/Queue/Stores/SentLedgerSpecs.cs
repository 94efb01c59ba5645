using Acaso.Mail.Actors.Queue.Stores;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Tests.Support;

namespace Acaso.Mail.Actors.Tests.Queue.Stores;

/// <summary>The SQLite ledger of keys Brevo accepted, under a temporary state directory.</summary>
public sealed class SentLedgerSpecs : IDisposable
{
    private readonly TempStateDir _state = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));

    private string Dir => _state.Path;

    public void Dispose() => _state.Dispose();

    [Fact]
    public async Task A_recorded_key_should_be_known_after_a_reopen_and_an_unknown_one_should_not()
    {
        var sent = Guid.NewGuid();
        await new SqliteSentLedger(Dir, _clock).RecordAsync(sent, default);

        var reopened = new SqliteSentLedger(Dir, _clock);
        Assert.True(await reopened.ContainsAsync(sent, default));
        Assert.False(await reopened.ContainsAsync(Guid.NewGuid(), default));
    }

    [Fact]
    public async Task A_key_should_be_forgotten_after_the_retention_and_recording_it_again_should_renew_it()
    {
        var old = Guid.NewGuid();
        var renewed = Guid.NewGuid();
        var ledger = new SqliteSentLedger(Dir, _clock);
        await ledger.RecordAsync(old, default);
        await ledger.RecordAsync(renewed, default);
        _clock.Now += SqliteSentLedger.Retention - TimeSpan.FromHours(1);
        await ledger.RecordAsync(renewed, default);
        _clock.Now += TimeSpan.FromHours(2);

        Assert.False(await ledger.ContainsAsync(old, default));
        Assert.True(await ledger.ContainsAsync(renewed, default));
        var reopened = new SqliteSentLedger(Dir, _clock);
        Assert.False(await reopened.ContainsAsync(old, default));
        Assert.True(await reopened.ContainsAsync(renewed, default));
    }
}
