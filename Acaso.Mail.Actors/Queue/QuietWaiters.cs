using Akka.Actor;

namespace Acaso.Mail.Actors.Queue;

/// <summary>
/// Who waits for the reader to be quiet, and what each asked (<see cref="QueueProtocol.WhenSettled"/> or
/// <see cref="QueueProtocol.Drain"/>). Once no mail is under way the reader hands them to its lease holder, which
/// answers once the last settle is acknowledged: it has every settle a mail sent before its end.
/// </summary>
public sealed class QuietWaiters
{
    private readonly List<(IActorRef Waiter, object Asked)> _waiting = [];

    /// <summary>Adds <paramref name="waiter"/>, who asked <paramref name="asked"/>.</summary>
    public void Add(IActorRef waiter, object asked) => _waiting.Add((waiter, asked));

    /// <summary>Hands every waiter to <paramref name="leases"/> when <paramref name="mailsInFlight"/> is zero.</summary>
    public void HandOverWhenQuiet(int mailsInFlight, IActorRef leases)
    {
        if (mailsInFlight > 0)
        {
            return;
        }

        foreach (var (waiter, asked) in _waiting)
        {
            leases.Tell(asked, waiter);
        }

        _waiting.Clear();
    }
}
