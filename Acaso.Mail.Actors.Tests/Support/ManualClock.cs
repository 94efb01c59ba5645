namespace Acaso.Mail.Actors.Tests.Support;

/// <summary>A clock the spec moves by hand, for the stores' retention.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}
