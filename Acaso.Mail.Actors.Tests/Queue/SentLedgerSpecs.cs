using Acaso.Mail.Actors.Queue.Stores;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Tests.Support;

namespace Acaso.Mail.Actors.Tests.Queue;

/// <summary>The SQLite ledger of keys Brevo accepted, under a temporary state directory.</summary>
public sealed class SentLedgerSpecs : IDisposable
{
    private readonly TempStateDir _state = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));

    private string Dir => _state.Path;

    public void Dispose() => _state.Dispose();

    [Fact]
    public void A_recorded_key_should_be_known_after_a_reopen_and_an_unknown_one_should_not()
    {
        var sent = Guid.NewGuid();
        new SqliteSentLedger(Dir, _clock).Record(sent);

        var reopened = new SqliteSentLedger(Dir, _clock);
        Assert.True(reopened.Contains(sent));
        Assert.False(reopened.Contains(Guid.NewGuid()));
    }

    [Fact]
    public void A_key_should_be_forgotten_after_the_retention_and_recording_it_again_should_renew_it()
    {
        var old = Guid.NewGuid();
        var renewed = Guid.NewGuid();
        var ledger = new SqliteSentLedger(Dir, _clock);
        ledger.Record(old);
        ledger.Record(renewed);
        _clock.Now += SqliteSentLedger.Retention - TimeSpan.FromHours(1);
        ledger.Record(renewed);
        _clock.Now += TimeSpan.FromHours(2);

        Assert.False(ledger.Contains(old));
        Assert.True(ledger.Contains(renewed));
        var reopened = new SqliteSentLedger(Dir, _clock);
        Assert.False(reopened.Contains(old));
        Assert.True(reopened.Contains(renewed));
    }
}
