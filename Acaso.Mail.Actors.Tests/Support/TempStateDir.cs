using Microsoft.Data.Sqlite;

namespace Acaso.Mail.Actors.Tests.Support;

/// <summary>A fresh <c>MAIL_STATE_DIR</c> for one spec, deleted (with SQLite's pooled handles on it released) after.</summary>
public sealed class TempStateDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("acaso-state-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(Path, recursive: true);
    }
}
