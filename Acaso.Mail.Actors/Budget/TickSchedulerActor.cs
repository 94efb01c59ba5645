using Acaso.Mail.Actors.Lifecycle;
using Acaso.Mail.Actors.Settings;
using Akka.Actor;
using Akka.Event;
using Quartz;

namespace Acaso.Mail.Actors.Budget;

/// <summary>
/// Tells the BudgetKeeper its ticks from Quartz cron triggers (<c>MAIL_HOURLY_CRON</c>, <c>MAIL_END_OF_DAY_CRON</c>)
/// in <c>MAIL_TIMEZONE</c>: the role Akka.Quartz.Actor plays, on Quartz itself. The scheduler lives and dies with
/// this actor. Tests skip it and send the same tick messages in virtual time.
/// </summary>
public sealed class TickSchedulerActor : ReceiveActor
{
    private readonly BudgetSettings _settings;
    private readonly IActorRef _keeper;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ResourceCloser _closer = ResourceCloser.Get(Context.System);
    private StandaloneSchedulerFactory? _factory;

    /// <summary>Creates the scheduler actor for <paramref name="keeper"/>.</summary>
    public TickSchedulerActor(BudgetSettings settings, IActorRef keeper)
    {
        _settings = settings;
        _keeper = keeper;
        Receive<Started>(started =>
        {
            _factory = started.Factory;
            _log.Info("Ticks scheduled: hourly '{HourlyCron}', end of day '{EndOfDayCron}' in {TimeZone}; next hourly tick at {NextHourly}",
                _settings.HourlyCron, _settings.EndOfDayCron, _settings.Zone.Id, started.NextHourly);
        });
        Receive<Status.Failure>(failure => throw new InvalidOperationException("the Quartz scheduler could not start", failure.Cause));
    }

    /// <summary>Props for the scheduler actor.</summary>
    public static Props Props(BudgetSettings settings, IActorRef keeper) =>
        Akka.Actor.Props.Create(() => new TickSchedulerActor(settings, keeper));

    /// <inheritdoc />
    protected override void PreStart() => StartAsync().PipeTo(Self);

    /// <inheritdoc />
    protected override void PostStop()
    {
        if (_factory is not null)
        {
            _closer.Close(_factory, "the Quartz scheduler");
        }
    }

    private async Task<Started> StartAsync()
    {
        var factory = QuartzSchedulerBuilder.Create(q => q.ConfigureScheduler(o => o.InstanceName = "acaso-mail-" + Guid.NewGuid().ToString("N"))).Build();
        var scheduler = await factory.GetScheduler().ConfigureAwait(false);
        var hourly = await ScheduleAsync(scheduler, "hourly", _settings.HourlyCron, BudgetProtocol.HourlyTick.Instance).ConfigureAwait(false);
        await ScheduleAsync(scheduler, "end-of-day", _settings.EndOfDayCron, BudgetProtocol.EndOfDayTick.Instance).ConfigureAwait(false);
        await scheduler.Start().ConfigureAwait(false);
        return new Started(factory, hourly);
    }

    private async Task<DateTimeOffset?> ScheduleAsync(Quartz.IScheduler scheduler, string name, string cron, object tick)
    {
        var job = JobBuilder.Create<TellJob>()
            .WithIdentity(name)
            .UsingJobData(new JobDataMap { [TellJob.Target] = _keeper, [TellJob.Message] = tick })
            .Build();
        var trigger = TriggerBuilder.Create()
            .WithIdentity(name)
            .WithCronSchedule(cron, x => x.InTimeZone(_settings.Zone))
            .Build();
        return await scheduler.ScheduleJob(job, trigger).ConfigureAwait(false);
    }

    private sealed record Started(StandaloneSchedulerFactory Factory, DateTimeOffset? NextHourly);

    /// <summary>A Quartz job that tells an actor a message: all a tick needs.</summary>
    internal sealed class TellJob : IJob
    {
        public const string Target = "target";
        public const string Message = "message";

        public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
        {
            var data = context.MergedJobDataMap;
            ((IActorRef)data[Target]!).Tell(data[Message]!);
            return ValueTask.CompletedTask;
        }
    }
}
