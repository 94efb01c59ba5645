using System.Globalization;
using Acaso.Mail.Actors.Storage;

namespace Acaso.Mail.Actors.Budget;

/// <summary>Where the BudgetKeeper keeps today's count of charged mails, so a restart cannot spend it twice.</summary>
public interface IBudgetStore
{
    /// <summary>Mails charged on <paramref name="day"/>, 0 when none were recorded.</summary>
    Task<int> LoadSpentAsync(DateOnly day, CancellationToken cancellation);

    /// <summary>Records that <paramref name="spent"/> mails were charged on <paramref name="day"/>.</summary>
    void SaveSpent(DateOnly day, int spent);
}

/// <summary>A store that forgets on restart: for the simulator and the specs that do not restart.</summary>
public sealed class InMemoryBudgetStore : IBudgetStore
{
    private readonly Dictionary<DateOnly, int> _days = [];

    /// <inheritdoc />
    public Task<int> LoadSpentAsync(DateOnly day, CancellationToken cancellation) { lock (_days) { return Task.FromResult(_days.GetValueOrDefault(day)); } }

    /// <inheritdoc />
    public void SaveSpent(DateOnly day, int spent) { lock (_days) { _days[day] = spent; } }
}

/// <summary>One small SQLite table under <c>MAIL_STATE_DIR</c>: a row a day, the day's charged count.</summary>
public sealed class SqliteBudgetStore : IBudgetStore
{
    private readonly SqliteStateFile _file;

    /// <summary>Opens (creating when missing) <c>budget.db</c> in <paramref name="stateDir"/>.</summary>
    public SqliteBudgetStore(string stateDir)
    {
        _file = new SqliteStateFile(stateDir, "budget.db");
        _file.Execute("CREATE TABLE IF NOT EXISTS spent_per_day (day TEXT PRIMARY KEY, spent INTEGER NOT NULL)");
    }

    /// <inheritdoc />
    public async Task<int> LoadSpentAsync(DateOnly day, CancellationToken cancellation) =>
        await _file.ScalarAsync("SELECT spent FROM spent_per_day WHERE day = $day", cancellation, ("$day", Day(day))).ConfigureAwait(false) is long spent
            ? (int)spent
            : 0;

    /// <inheritdoc />
    public void SaveSpent(DateOnly day, int spent) =>
        _file.Execute("INSERT INTO spent_per_day (day, spent) VALUES ($day, $spent) ON CONFLICT(day) DO UPDATE SET spent = excluded.spent",
            ("$day", Day(day)), ("$spent", spent));

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
