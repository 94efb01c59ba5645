using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Events;
using Acaso.Mail.Actors.Queue.Taken;
using Akka.Actor;
using Akka.Event;
using static Acaso.Mail.Actors.Queue.QueueProtocol;

namespace Acaso.Mail.Actors.Queue;

/// <summary>
/// The reader's tokens: a window's count (from <see cref="BudgetProtocol.WindowOpened"/>) is a hint, and each take first
/// leases one token from the keeper (a <see cref="BudgetProtocol.Reserve"/> before the take). So several readers sharing
/// one keeper (a node each, in a cluster) spend a window's tokens exactly once, each on the head of the queue at the
/// moment of its take: the window's most urgent mail, whichever reader takes it.
/// </summary>
public sealed partial class QueueReaderActor
{
    // Every tag the keeper knows this reader's tokens by, leases and looked-at mails alike, comes from this one count.
    private ulong _tags;
    // The tag of the lease asked last: an answer under an earlier one is a stray.
    private ulong _leaseTag;
    // The token the take under way holds: granted by the keeper before the take (none for a look between windows).
    private TakeToken? _lease;
    private LeasePool? _pool;

    /// <summary>The only place a take on a token starts: with a token left in the window, lease it; otherwise wait in <see cref="Idle"/>.</summary>
    private void TakeOrIdle()
    {
        Stash.UnstashAll();
        if (_window.Tokens > 0 && _pool is { Tokens: > 0 } pool && pool.Window == _window.Id)
        {
            // A token of the batch leased before: no need to ask the keeper.
            _window = _window with { Tokens = _window.Tokens - 1 };
            _pool = pool with { Tokens = pool.Tokens - 1 };
            _lease = new TakeToken(pool.Window, pool.Tag, Borrowed: false, Settles: false);
            _demand.Request(1);
            Become(Taking);
        }
        else if (_window.Tokens > 0)
        {
            _window = _window with { Tokens = _window.Tokens - 1 };
            AskLease();
            Become(Leasing);
        }
        else
        {
            BecomeIdle();
        }
    }

    /// <summary>
    /// The only way into <see cref="Idle"/>: tells who waits for quiet, and makes the look that came due while a take or
    /// a lease was under way (an urgent mail moved in meanwhile, or a window just spent).
    /// </summary>
    private void BecomeIdle()
    {
        Become(Idle);
        ReplyWhenQuiet();
        var (urgent, step) = UrgentLane.Idle(_urgent);
        _urgent = urgent;
        if (step == UrgentStep.Look)
        {
            Self.Tell(UrgentTick.Instance);
        }
    }

    private void AskLease()
    {
        _leaseTag = ++_tags;
        _budgetKeeper.Tell(new BudgetProtocol.Reserve(_window.Id, _leaseTag, Count: _settings.LeaseBatch));
        Timers.StartSingleTimer(KeeperTimer, new KeeperSilent(_leaseTag), KeeperAnswerTimeout);
    }

    /// <summary>A lease for the next take is asked of the keeper.</summary>
    private void Leasing()
    {
        Receive<KeeperSilent>(silent => IsLeaseAnswer(silent.Tag), _ =>
        {
            // Asked of a keeper that has gone (a node lost, a hand-over under way): ask again, under a new tag. A late
            // answer to the old one is a stray and goes back uncharged.
            _log.Warning("The budget keeper did not answer a lease within {Timeout}: asking again", KeeperAnswerTimeout);
            AskLease();
        });
        Receive<BudgetProtocol.Reserved>(reserved => IsLeaseAnswer(reserved.Tag), reserved =>
        {
            Timers.Cancel(KeeperTimer);
            _keeperPaused = false;
            _lease = new TakeToken(reserved.Window, reserved.Tag, reserved.Borrowed, reserved.Settles);
            // The rest of a batch waits for the next takes of the same window (it lapses with it).
            _pool = reserved.Count > 1 ? new LeasePool(reserved.Window, reserved.Tag, reserved.Count - 1) : null;
            _demand.Request(1);
            Become(Taking);
        });
        Receive<BudgetProtocol.ReservationDenied>(denied => IsLeaseAnswer(denied.Tag), denied =>
        {
            Timers.Cancel(KeeperTimer);
            // The window is spent (another reader leased its last tokens), has lapsed, or the day is spent: wait for the next.
            if (denied.Window == _window.Id)
            {
                _window = _window with { Tokens = 0 };
            }

            TakeOrIdle();
        });
        Receive<BudgetProtocol.KeeperPaused>(_ =>
        {
            // The keeper cannot write its journal (the database is away): the token goes back to the window, and the
            // lease is asked again after the poll interval. A late answer to this one is a stray and goes back uncharged.
            Timers.Cancel(KeeperTimer);
            _leaseTag = 0;
            _window = _window with { Tokens = _window.Tokens + 1 };
            KeeperIsPaused();
            Timers.StartSingleTimer(PollTimer, TakeNext.Instance, _settings.PollInterval);
            Stash.UnstashAll();
            BecomeIdle();
        });
        // A lease asked of the old window is refused as lapsed; the new window's tokens are leased after it.
        Receive<BudgetProtocol.WindowOpened>(opened =>
        {
            _window = new ReaderWindow(opened.Window, opened.Tokens);
            _urgent = UrgentLane.WindowOpenedDuringTake(_urgent);
        });
        WaitForTheTake();
    }

    private bool _keeperPaused;

    /// <summary>Says once, until the keeper answers again, that it is paused.</summary>
    private void KeeperIsPaused()
    {
        if (!_keeperPaused)
        {
            _keeperPaused = true;
            _log.Warning("The budget keeper is paused (its journal cannot be written): nothing is taken until it grants again");
        }
    }

    /// <summary>The tag is the lease asked last (earlier ones were given up on: their late answers are strays).</summary>
    private bool IsLeaseAnswer(ulong tag) => tag != 0 && tag == _leaseTag;

    private void OpenWindow(BudgetProtocol.WindowOpened opened)
    {
        // The previous window's unused tokens lapse: the keeper has already stopped counting them.
        _window = new ReaderWindow(opened.Window, opened.Tokens);
        _urgent = UrgentLane.WindowOpened(_urgent, _settings.UrgentSignalled);
        Timers.Cancel(PollTimer);
        TakeOrIdle();
    }

    private void NothingTaken(Exception? failure)
    {
        if (failure is null)
        {
            Context.System.EventStream.Publish(new MailEvents.QueueHead(null, 0));
        }
        else
        {
            _health.Tell(new BrokerHealthActor.Seen(false, failure.Message));
        }

        // The lease goes back to the keeper and the token to the window; the queue is asked again after the poll interval.
        ReturnLease();
        Timers.StartSingleTimer(PollTimer, TakeNext.Instance, _settings.PollInterval);
        Stash.UnstashAll();
        BecomeIdle();
    }

    /// <summary>The lease the take under way held, now the mail's (or null after a look).</summary>
    private TakeToken? TakeLease()
    {
        var lease = _lease;
        _lease = null;
        return lease;
    }

    /// <summary>Gives an unused lease back to the keeper, and its token to the window when the window is still open.</summary>
    private void ReturnLease()
    {
        if (TakeLease() is not { } lease)
        {
            return;
        }

        if (!lease.Settles && _pool is { } pool && pool.Window == lease.Window)
        {
            _pool = pool with { Tokens = pool.Tokens + 1 };
        }

        if (lease.Settles)
        {
            StartSettle(new BudgetProtocol.Settle(lease.Window, lease.Tag, Charged: false, lease.Borrowed));
        }

        if (lease.Window == _window.Id)
        {
            _window = _window with { Tokens = _window.Tokens + 1 };
        }
    }

    private void StartDraining()
    {
        Timers.Cancel(PollTimer);
        _window = _window with { Tokens = 0 };
        Become(Draining);
        Self.Forward(Drain.Instance);
    }

    /// <summary>Tokens of a batch lease not yet used: they serve takes of <paramref name="Window"/> without asking the keeper.</summary>
    private sealed record LeasePool(long Window, ulong Tag, int Tokens);
}
