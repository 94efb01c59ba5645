using Acaso.Mail.Actors.Settings;
using static Acaso.Mail.Actors.Budget.KeeperEvents;

namespace Acaso.Mail.Actors.Budget;

/// <summary>
/// The keeper's books as its journal holds them (<see cref="Book"/>), and the events decided in the message under way
/// and not yet journaled. A decision reads <see cref="Ahead"/>: the books with what this message already decided, so two
/// decisions in one message see each other. <see cref="Book"/> changes only through <see cref="Stored"/>, which the
/// keeper calls from its persist callback, and through recovery: memory never runs ahead of the journal.
/// </summary>
public sealed class KeeperDecisions(KeeperBook start)
{
    /// <summary>A snapshot every so many journaled events keeps recovery short; older events and snapshots are deleted.</summary>
    public const int SnapshotEvery = 100;

    private readonly List<IKeeperEvent> _decided = [];
    private KeeperBook _ahead = start;
    private int _sinceSnapshot;

    /// <summary>The books the journal holds.</summary>
    public KeeperBook Book { get; private set; } = start;

    /// <summary>The books as this message's decisions leave them (the journal's, until something is decided).</summary>
    public KeeperBook Ahead => _decided.Count == 0 ? Book : _ahead;

    /// <summary>Something was decided in this message and is not yet journaled.</summary>
    public bool Pending => _decided.Count > 0;

    /// <summary>
    /// Decides <paramref name="command"/> on <see cref="Ahead"/> by <see cref="KeeperRules"/>; returns the answer.
    /// <paramref name="dayBegan"/> hears of a new day with the books of the day that ends.
    /// </summary>
    public object? Decide(KeeperRules.ICommand command, BudgetSettings settings, DateOnly today, Action<DayBegan, KeeperBook> dayBegan)
    {
        var book = Ahead;
        var decision = KeeperRules.Decide(book, command, settings, today);
        foreach (var happened in decision.Events)
        {
            if (happened is DayBegan began)
            {
                dayBegan(began, book);
            }

            book = book.Apply(happened);
            _decided.Add(happened);
        }

        _ahead = book;
        return decision.Answer;
    }

    /// <summary>The events decided so far, to journal; the next message begins with none.</summary>
    public IReadOnlyList<IKeeperEvent> TakeDecided()
    {
        var events = _decided.ToList();
        _decided.Clear();
        return events;
    }

    /// <summary>
    /// <paramref name="happened"/> is journaled: the books change. True when a snapshot is due (after the last event of
    /// a batch, said by <paramref name="last"/>).
    /// </summary>
    public bool Stored(IKeeperEvent happened, bool last)
    {
        Book = Book.Apply(happened);
        _sinceSnapshot++;
        if (!last || _sinceSnapshot < SnapshotEvery)
        {
            return false;
        }

        _sinceSnapshot = 0;
        return true;
    }

    /// <summary>Whether recovery found anything: a journal that was never written imports the count of the service before it.</summary>
    public bool Recovered { get; private set; }

    /// <summary>
    /// Recovery read <paramref name="row"/>: a snapshot (<paramref name="snapshot"/>), an event, or a whole-state row of a
    /// build before 1.4.0 (ours, or one 2f98441 wrote through Newtonsoft); anything else is not the keeper's.
    /// </summary>
    public void Recover(object row, bool snapshot)
    {
        var book = row switch
        {
            KeeperBook whole => whole,
            BudgetKeeperState old => old.ToBook(),
            IKeeperEvent happened => Book.Apply(happened),
            _ => null,
        };
        if (book is not null)
        {
            Book = book;
            _sinceSnapshot = snapshot ? 0 : _sinceSnapshot + 1;
            Recovered = true;
        }
    }
}
