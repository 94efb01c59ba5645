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
