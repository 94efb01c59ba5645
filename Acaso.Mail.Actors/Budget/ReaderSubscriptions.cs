using Akka.Actor;

namespace Acaso.Mail.Actors.Budget;

/// <summary>
/// The readers a keeper tells of each window: one in a single process, one a node in a cluster. A window's count is a
/// hint to them; the tokens themselves are leased one take at a time (<see cref="BudgetProtocol.Reserve"/> before the
/// take), so however many readers there are, the window's tokens are spent once, on the most urgent mail waiting.
/// </summary>
internal sealed class ReaderSubscriptions
{
    private readonly HashSet<IActorRef> _readers = [];

    /// <summary>Adds <paramref name="reader"/>; false when it was there already. The caller watches it, and removes it once it stops.</summary>
    public bool Add(IActorRef reader) => _readers.Add(reader);

    /// <summary>Removes a reader that stopped.</summary>
    public void Remove(IActorRef reader) => _readers.Remove(reader);

    /// <summary>Tells every reader <paramref name="message"/>.</summary>
    public void Tell(object message)
    {
        foreach (var reader in _readers)
        {
            reader.Tell(message);
        }
    }
}
