namespace Acaso.Mail.Actors.Contract;

/// <summary>
/// The producer's priority function, ported for the publisher: <c>200 - d</c> with
/// <c>d = floor((mentoring - now) in days) + 1</c>, and 1 where that is under 1. Higher is more urgent.
/// </summary>
public static class MentoringPriority
{
    /// <summary>The priority the producer gives a mentoring at <paramref name="mentoring"/> seen at <paramref name="now"/>.</summary>
    public static byte For(DateTimeOffset mentoring, DateTimeOffset now)
    {
        var days = (long)Math.Floor((mentoring - now).TotalDays) + 1;
        var priority = 200 - days;
        return (byte)Math.Clamp(priority < 1 ? 1 : priority, 1, 255);
    }
}
