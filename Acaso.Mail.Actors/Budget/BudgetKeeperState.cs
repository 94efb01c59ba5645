namespace Acaso.Mail.Actors.Budget;

/// <summary>
/// Everything the daily keeper knows, as it persists it (Akka.Persistence: each change is journaled as the whole
/// state, a few hundred bytes, so recovery is "the last one wins" and a hand-over to another node resumes the same
/// day, window and loans). Plain data with a constructor Newtonsoft can bind: it crosses nodes and lives in the journal.
/// </summary>
/// <param name="Day">The budget day in the configured zone.</param>
/// <param name="Spent">Tokens charged on <paramref name="Day"/>.</param>
/// <param name="Window">The open window's id (0 before the first tick).</param>
/// <param name="WindowGranted">Tokens the open window granted.</param>
/// <param name="WindowUsed">Tokens of the open window reserved or spent.</param>
/// <param name="Borrowed">Tokens urgent mail borrowed from coming hourly windows.</param>
/// <param name="WindowRepaid">Tokens of the open window that paid back earlier borrowing.</param>
/// <param name="Leases">The tokens in flight: reserved and not yet settled, each as its reader and reservation tag.</param>
/// <param name="Orphans">
/// The leases that were in flight when this keeper took over from another incarnation (a crash, a hand-over): their
/// readers may be gone, so when the window closes those still unsettled are counted as spent.
/// </param>
/// <param name="WrittenOff">
/// Today's mails (idempotency keys) whose send was counted spent when its reader went away unsettled: should another
/// send of one be Brevo's first after all, the write-off is taken back.
/// </param>
public sealed record BudgetKeeperState(DateOnly Day, int Spent, long Window, int WindowGranted, int WindowUsed, int Borrowed, int WindowRepaid,
    string[]? Leases = null, string[]? Orphans = null, string[]? WrittenOff = null) : IBudgetWire;
