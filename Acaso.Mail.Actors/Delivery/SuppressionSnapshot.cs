namespace Acaso.Mail.Actors.Delivery;

/// <summary>
/// A shared store whose suppression list the reader reads from memory: the whole list is loaded again when the copy
/// is older than <see cref="MaxAge"/> (or this node changed it), so a take costs the shared database nothing. A bounce
/// recorded on another node stops mail here within <see cref="MaxAge"/>; Brevo reports bounces minutes after a send,
/// so that is no later in practice. Everything else goes straight to the store.
/// </summary>
public sealed class SuppressionSnapshot(IDeliveryStore store, TimeProvider? clock = null) : IDeliveryStore
{
    /// <summary>How old the copy of the list may grow before the next lookup loads it again.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private Dictionary<string, Suppression>? _list;
    private DateTimeOffset _loadedAt;
    private long _changes;

    /// <inheritdoc />
    public Suppression? Suppressed(string email)
    {
        lock (_gate)
        {
            var now = _clock.GetUtcNow();
            if (_list is null || now - _loadedAt >= MaxAge)
            {
                _list = store.Suppressions().ToDictionary(s => s.Email);
                _loadedAt = now;
            }

            return _list.GetValueOrDefault(Suppression.Key(email));
        }
    }

    /// <inheritdoc />
    public async Task<Suppression?> SuppressedAsync(string email, CancellationToken cancellation)
    {
        Dictionary<string, Suppression>? list;
        long changes;
        var now = _clock.GetUtcNow();
        lock (_gate)
        {
            list = _list is not null && now - _loadedAt < MaxAge ? _list : null;
            changes = _changes;
        }

        if (list is null)
        {
            list = (await store.SuppressionsAsync(cancellation).ConfigureAwait(false)).ToDictionary(s => s.Email);
            lock (_gate)
            {
                // A change made while the list loaded may be missing from it: that copy serves this lookup only.
                if (changes == _changes)
                {
                    (_list, _loadedAt) = (list, now);
                }
            }
        }

        return list.GetValueOrDefault(Suppression.Key(email));
    }

    /// <inheritdoc />
    public void Suppress(Suppression suppression)
    {
        store.Suppress(suppression);
        Invalidate();
    }

    /// <inheritdoc />
    public bool Unsuppress(string email)
    {
        var removed = store.Unsuppress(email);
        Invalidate();
        return removed;
    }

    /// <inheritdoc />
    public async Task SuppressAsync(Suppression suppression, CancellationToken cancellation)
    {
        await store.SuppressAsync(suppression, cancellation).ConfigureAwait(false);
        Invalidate();
    }

    /// <inheritdoc />
    public async Task<bool> UnsuppressAsync(string email, CancellationToken cancellation)
    {
        var removed = await store.UnsuppressAsync(email, cancellation).ConfigureAwait(false);
        Invalidate();
        return removed;
    }

    /// <inheritdoc />
    public Task<SuppressionSearch> SearchSuppressionsAsync(string? part, int page, int pageSize, CancellationToken cancellation) =>
        store.SearchSuppressionsAsync(part, page, pageSize, cancellation);

    /// <inheritdoc />
    public Task<IReadOnlyList<HistoryEntry>> HistoryAsync(string email, CancellationToken cancellation) => store.HistoryAsync(email, cancellation);

    /// <inheritdoc />
    public Task<IReadOnlyList<HistoryEntry>> HistorySinceAsync(string kind, DateTimeOffset from, CancellationToken cancellation) =>
        store.HistorySinceAsync(kind, from, cancellation);

    /// <inheritdoc />
    public IReadOnlyList<Suppression> Suppressions() => store.Suppressions();

    /// <inheritdoc />
    public Task<IReadOnlyList<Suppression>> SuppressionsAsync(CancellationToken cancellation) => store.SuppressionsAsync(cancellation);

    /// <inheritdoc />
    public bool FirstTime(DeliveryEvent delivery) => store.FirstTime(delivery);

    /// <inheritdoc />
    public int CountSoftBounce(string email, DateTimeOffset at, TimeSpan window) => store.CountSoftBounce(email, at, window);

    /// <inheritdoc />
    public void EndStreak(string email) => store.EndStreak(email);

    /// <inheritdoc />
    public int? TemplateOf(string messageId) => store.TemplateOf(messageId);

    /// <inheritdoc />
    public void Record(HistoryEntry entry) => store.Record(entry);

    /// <inheritdoc />
    public void RecordAll(IReadOnlyList<(HistoryEntry Entry, string? MessageId, int? Template)> lines) => store.RecordAll(lines);

    /// <inheritdoc />
    public IReadOnlyList<HistoryEntry> History(string email) => store.History(email);

    /// <inheritdoc />
    public IReadOnlyList<HistoryEntry> HistorySince(string kind, DateTimeOffset from) => store.HistorySince(kind, from);

    /// <inheritdoc />
    public int Purge(DateTimeOffset before) => store.Purge(before);

    private void Invalidate()
    {
        lock (_gate)
        {
            _list = null;
            _changes++;
        }
    }
}
