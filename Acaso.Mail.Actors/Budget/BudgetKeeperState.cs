namespace Acaso.Mail.Actors.Budget;

/// <summary>
/// Everything the daily keeper knows (<see cref="KeeperBook"/>) as a snapshot, <c>budget-state-v1</c>. Builds before
/// 1.4.0 journaled it whole on every change (and 2f98441 through Newtonsoft, naming this CLR type): recovery still reads
/// such rows, the last one winning, and replays the events written after them.
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
/// Written empty since 1.4.0 (a recovery takes every lease it finds as lent by another incarnation); builds before it
/// wrote the leases in flight when their keeper took over.
/// </param>
/// <param name="WrittenOff">
/// Today's mails (idempotency keys) whose send was counted spent when its reader went away unsettled: should another
/// send of one be Brevo's first after all, the write-off is taken back.
/// </param>
public sealed record BudgetKeeperState(DateOnly Day, int Spent, long Window, int WindowGranted, int WindowUsed, int Borrowed, int WindowRepaid,
    string[]? Leases = null, string[]? Orphans = null, string[]? WrittenOff = null) : IBudgetWire;
