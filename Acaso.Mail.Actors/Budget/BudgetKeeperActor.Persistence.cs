using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using static Acaso.Mail.Actors.Budget.BudgetProtocol;

namespace Acaso.Mail.Actors.Budget;

/// <summary>
/// The keeper's persistence: its whole state journaled on every change (and a snapshot every
/// <see cref="SnapshotEvery"/>), its recovery (importing <c>budget.db</c> on an empty journal, taking over the
/// tokens another incarnation lent), and the leases: each token in flight as its reader and reservation tag, so
/// that a settle sent twice counts once.
/// </summary>
public sealed partial class BudgetKeeperActor
{
    /// <summary>
    /// How long after a take-over the tokens lent before it are waited for: a surviving reader sends its settle again
    /// every 5 s until it is acknowledged. Only then does a window's close count the rest (a dead node's) as spent.
    /// </summary>
    private static readonly TimeSpan OrphanGrace = TimeSpan.FromSeconds(30);

    private DateTimeOffset _orphansSince;

    private void Apply(BudgetKeeperState state)
    {
        _recovered = true;
        (_day, _spent, _window, _windowGranted, _windowUsed, _borrowed, _windowRepaid, var leases, var orphans, var writtenOff) = state;
        _writtenOff = [.. (writtenOff ?? []).Select(Guid.Parse)];
        _leases = (leases ?? []).Select(text => KeeperLease.Parse(text, _window, _day)).ToDictionary(l => l.Key, l => l.Lease);
        _orphans = [.. orphans ?? []];
    }

    private BudgetKeeperState State() =>
        new(_day, _spent, _window, _windowGranted, _windowUsed, _borrowed, _windowRepaid,
            [.. _leases.Select(l => KeeperLease.Format(l.Key, l.Value))], [.. _orphans], [.. _writtenOff.Select(k => k.ToString("D"))]);

    /// <summary>One token in flight: the reader that holds it (its full path, the same from every node) and the reservation's tag.</summary>
    private string LeaseOf(ulong tag) => $"{Akka.Serialization.Serialization.SerializedActorPath(Sender)} {tag}";

    /// <summary>Today's tokens in flight (a lease lent before midnight counted against its own day).</summary>
    private int InFlight => _leases.Values.Count(l => l.Day == _day);

    /// <summary>Journals the state, then runs <paramref name="then"/> (a reply: nothing is promised before it is stored).</summary>
    private void Save(Action? then = null)
    {
        Persist(State(), _ =>
        {
            then?.Invoke();
            Publish();
            if (LastSequenceNr % SnapshotEvery == 0)
            {
                SaveSnapshot(State());
            }
        });
    }

    private void Recovered()
    {
        if (!_recovered)
        {
            // The journal is empty: the first start of this version. The service before it counted in budget.db.
            _spent = _legacy.LoadSpent(_day);
            if (_spent > 0)
            {
                _log.Info("{Spent} mails were already charged today ({Day}): the day goes on from there", _spent, _day);
            }
        }
        else if (_leases.Count > 0)
        {
            // Another incarnation (perhaps on a node that died) had tokens out: until their sends settle or their window
            // closes, they count against the day, so a hand-over never overspends it.
            _orphans = [.. _leases.Keys];
            _orphansSince = Context.System.Scheduler.Now;
            _log.Info("Taking over the budget: window {Window}, {Spent} spent today, {InFlight} tokens in flight", _window, _spent, _leases.Count);
            // A reader that is gone (its node died with the old keeper) is reported Terminated at once; one that lives
            // settles its leases itself.
            foreach (var reader in _orphans.Select(KeeperLease.ReaderOf).Distinct())
            {
                Context.Watch(((ExtendedActorSystem)Context.System).Provider.ResolveActorRef(reader));
            }
        }

        if (_ticks is not null)
        {
            Context.ActorOf(TickSchedulerActor.Props(_ticks, Self), "tick-scheduler");
        }

        ReadCredits((day, credits) => new CreditsAtStart(day, credits));
    }

    /// <summary>
    /// Tokens another incarnation lent that never settled: called as a window closes, once <see cref="OrphanGrace"/> has
    /// passed since the take-over, it counts them as spent (the send may have reached Brevo before its node died; the
    /// shared ledger stops a second send of the same mail).
    /// </summary>
    private void WriteOffOrphans()
    {
        if (_orphans.Count == 0 || Context.System.Scheduler.Now - _orphansSince < OrphanGrace)
        {
            // Readers that live send their settles again every few seconds: give them time to arrive first.
            return;
        }

        var unsettled = _orphans.Where(_leases.ContainsKey).ToList();
        _orphans.Clear();
        Release(unsettled, "lent before the take-over and never settled");
    }

    /// <summary>
    /// How long after a reader is reported stopped (or its node gone) its leases are settled for it: settles it sent
    /// just before may still be on their way.
    /// </summary>
    private static readonly TimeSpan ReaderGrace = TimeSpan.FromSeconds(5);

    private void ReaderStopped(Terminated terminated)
    {
        _readers.Remove(terminated.ActorRef);
        var reader = Akka.Serialization.Serialization.SerializedActorPath(terminated.ActorRef);
        if (_leases.Keys.Any(key => KeeperLease.ReaderOf(key) == reader))
        {
            Timers.StartSingleTimer("reader-gone " + reader, new ReaderGone(reader), ReaderGrace);
        }
    }

    private void Handle(ReaderGone gone)
    {
        RollDay();
        var leases = _leases.Keys.Where(key => KeeperLease.ReaderOf(key) == gone.Reader).ToList();
        if (leases.Count > 0)
        {
            Release(leases, "held by a reader that stopped");
            Save();
        }
    }

    private void Handle(BudgetProtocol.Spending sending)
    {
        var key = LeaseOf(sending.Tag);
        if (_leases.TryGetValue(key, out var lease) && !lease.Sending)
        {
            _leases[key] = lease with { Sending = true, Mail = sending.Key };
            Save();
        }
    }

    /// <summary>
    /// Brevo accepted a send of <paramref name="mail"/> as its first (under the lease <paramref name="by"/>): any other
    /// send of the same mail (a node that died after telling it was sending) was not charged, so it will not count as
    /// spent, and a write-off already counted for it is taken back.
    /// </summary>
    private void Superseded(Guid mail, string by)
    {
        foreach (var (key, lease) in _leases.Where(l => l.Key != by && l.Value.Mail == mail).ToList())
        {
            _leases[key] = lease with { Superseded = true };
        }

        if (_writtenOff.Remove(mail))
        {
            _log.Info("A mail counted spent when its reader went away was sent and charged again elsewhere: the first count is taken back");
            _spent = Math.Max(0, _spent - 1);
        }
    }

    /// <summary>
    /// Settles leases whose reader will not: one whose send may have reached Brevo counts as spent, the others go back to
    /// their window (or to the coming one, when borrowed). A lease of an earlier day is dropped: it counted against that day.
    /// </summary>
    private void Release(IReadOnlyCollection<string> keys, string why)
    {
        var (spent, returned) = (0, 0);
        foreach (var key in keys)
        {
            if (!_leases.Remove(key, out var lease) || lease.Day != _day)
            {
                continue;
            }

            _orphans.Remove(key);
            if (lease.MayBeCharged)
            {
                spent++;
                if (lease.Mail is { } mail)
                {
                    _writtenOff.Add(mail);
                }
            }
            else
            {
                returned++;
                if (lease.Borrowed)
                {
                    _borrowed = Math.Max(0, _borrowed - 1);
                }
                else if (lease.Window == _window)
                {
                    _windowUsed = Math.Max(0, _windowUsed - 1);
                }
            }
        }

        _spent += spent;
        if (spent + returned > 0)
        {
            _log.Warning("{Count} tokens {Why}: {Spent} counted as spent (their sends may have reached Brevo), {Returned} given back",
                spent + returned, why, spent, returned);
        }
    }

    /// <summary>A reader reported stopped a grace ago: its leases are settled for it.</summary>
    private sealed record ReaderGone(string Reader);
}
