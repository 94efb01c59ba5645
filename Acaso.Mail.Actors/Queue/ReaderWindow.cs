using Acaso.Mail.Actors.Budget;

namespace Acaso.Mail.Actors.Queue;

/// <summary>
/// The window a reader holds tokens of, as the keeper last announced it: <paramref name="Id"/>, the
/// <paramref name="Tokens"/> not yet used for a take (a hint: each take still leases its token), and whether Brevo failed
/// in it (<paramref name="Halted"/>: the rest of it waits, urgent mail too). A token given back counts only while its
/// window is still the one held; an earlier window's tokens have lapsed.
/// </summary>
public sealed record ReaderWindow(long Id, int Tokens, bool Halted = false)
{
    /// <summary>The window the keeper opened: the previous one's unused tokens lapse (the keeper stopped counting them).</summary>
    public static ReaderWindow Of(BudgetProtocol.WindowOpened opened) => new(opened.Window, opened.Tokens);

    /// <summary>One token is taken for a lease.</summary>
    public ReaderWindow TakeOne() => this with { Tokens = Tokens - 1 };

    /// <summary>A token of <paramref name="window"/> that nothing was sent on comes back.</summary>
    public ReaderWindow GivenBack(long? window) => window == Id ? this with { Tokens = Tokens + 1 } : this;

    /// <summary>The keeper refused a lease of <paramref name="window"/>: it is spent, has lapsed, or the day is spent.</summary>
    public ReaderWindow Spent(long window) => window == Id ? this with { Tokens = 0 } : this;

    /// <summary>Brevo failed in <paramref name="window"/>: nothing more is taken in it.</summary>
    public ReaderWindow Halt(long window) => window == Id ? this with { Tokens = 0, Halted = true } : this;
}
