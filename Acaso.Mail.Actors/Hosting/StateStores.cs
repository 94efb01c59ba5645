using Acaso.Mail.Actors.Delivery;
using Acaso.Mail.Actors.Queue.Stores;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Settings;
using Acaso.Mail.Actors.Storage;
using Microsoft.Extensions.Logging;

namespace Acaso.Mail.Actors.Hosting;

/// <summary>
/// Where the reader's and the Delivery role's durable state lives, chosen in this one place: SQLite files under
/// <c>MAIL_STATE_DIR</c> for a node alone, or the shared PostgreSQL database of <c>MAIL_DATABASE_URL</c>, into which a
/// node's files are imported once, on its first start with it. The keeper's journal follows the same
/// <see cref="MailDatabase"/>.
/// </summary>
public sealed class StateStores
{
    private readonly MailDatabase _database;
    private readonly string _stateDir;
    private readonly ILogger _log;

    private StateStores(MailDatabase database, string stateDir, ILogger log, IFailedWindowStore failedWindows, IDeliveryStore delivery)
    {
        _database = database;
        _stateDir = stateDir;
        _log = log;
        FailedWindows = failedWindows;
        Delivery = delivery;
    }

    /// <summary>The failed-window counts.</summary>
    public IFailedWindowStore FailedWindows { get; }

    /// <summary>The suppression list and the histories; on the shared database, the reader reads the list from a copy at most 5 s old.</summary>
    public IDeliveryStore Delivery { get; }

    /// <summary>Opens the stores of <paramref name="database"/>, importing a node's files into a shared database once.</summary>
    public static StateStores Open(MailDatabase database, string stateDir, ILogger log)
    {
        if (database.Postgres is not { } shared)
        {
            return new StateStores(database, stateDir, log, new SqliteFailedWindowStore(stateDir), new SqliteDeliveryStore(stateDir));
        }

        var failedWindows = new PostgresFailedWindowStore(shared);
        Imported(log, failedWindows.Import(stateDir), "failed-window counts of failed-windows.db");
        var delivery = new PostgresDeliveryStore(shared);
        Imported(log, delivery.Import(stateDir), "suppressed addresses of delivery.db");
        // A take must not wait on the shared database.
        return new StateStores(database, stateDir, log, failedWindows, new SuppressionSnapshot(delivery));
    }

    /// <summary>The suppression list and histories as the command line reads them: the store itself, nothing imported.</summary>
    public static IDeliveryStore DeliveryStore(MailSettings settings) =>
        settings.Database.Postgres is { } url
            ? new PostgresDeliveryStore(MailDatabase.For(url, settings.StateDir).Postgres!)
            : new SqliteDeliveryStore(settings.StateDir);

    /// <summary>The sent ledger (daily mode only, so opened on demand).</summary>
    public ISentLedger SentLedger()
    {
        if (_database.Postgres is not { } shared)
        {
            return new SqliteSentLedger(_stateDir);
        }

        var ledger = new PostgresSentLedger(shared);
        Imported(_log, ledger.Import(_stateDir), "keys of sent.db");
        return ledger;
    }

    private static void Imported(ILogger log, int rows, string what)
    {
        if (rows > 0)
        {
            log.LogInformation("Imported {Rows} {What} into the shared database", rows, what);
        }
    }
}
