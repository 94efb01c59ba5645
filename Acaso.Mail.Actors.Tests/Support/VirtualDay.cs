using Akka.Actor;
using Akka.TestKit;

namespace Acaso.Mail.Actors.Tests.Support;

/// <summary>Moves the TestScheduler's clock to instants of a Recife day.</summary>
public static class VirtualDay
{
    /// <summary>Moves to the next Recife midnight plus <paramref name="offset"/>, and returns that midnight.</summary>
    public static DateTimeOffset StartNextDay(ActorSystem system, TimeSpan offset)
    {
        var scheduler = (TestScheduler)system.Scheduler;
        var local = TimeZoneInfo.ConvertTime(scheduler.Now, Mails.Recife);
        var midnight = new DateTimeOffset(local.Date.AddDays(1), local.Offset);
        scheduler.AdvanceTo(midnight + offset);
        return midnight;
    }

    /// <summary>
    /// Sets a fresh system's clock to <paramref name="instant"/>, in the past or the future. A TestScheduler starts at
    /// the wall clock and <c>AdvanceTo</c> refuses to go back, so a spec whose fixture carries its own day sets the
    /// clock by the difference before any actor of the spec starts; later moves go forward only.
    /// </summary>
    public static void StartAt(ActorSystem system, DateTimeOffset instant)
    {
        var scheduler = (TestScheduler)system.Scheduler;
        scheduler.Advance(instant - scheduler.Now);
    }

    /// <summary>Moves the clock forward to <paramref name="instant"/> (a no-op when it is there already).</summary>
    public static void MoveTo(ActorSystem system, DateTimeOffset instant)
    {
        var scheduler = (TestScheduler)system.Scheduler;
        if (instant > scheduler.Now)
        {
            scheduler.AdvanceTo(instant);
        }
    }
}
