using Acaso.Mail.Actors.Events;
using Akka.Actor;
using Akka.Hosting;
using Akka.Event;
using static Acaso.Mail.Actors.Sending.SendingProtocol;

namespace Acaso.Mail.Actors.Sending;

/// <summary>
/// The parent of the MailSender pool: hands each <see cref="SendMail"/> to the next sender in turn,
/// keeping the original sender so replies go straight to the reader, and states how its children are supervised.
/// </summary>
public sealed class MailSendersActor : ReceiveActor
{
    private readonly List<IActorRef> _senders = [];
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private int _next;

    /// <summary>Creates <paramref name="parallelism"/> senders over the shared pipeline.</summary>
    public MailSendersActor(BrevoResilience brevo, int parallelism)
    {
        for (var i = 0; i < parallelism; i++)
        {
            _senders.Add(Context.Watch(Context.ActorOf(MailSenderActor.Props(brevo), $"sender-{i}")));
        }

        Receive<Terminated>(terminated =>
        {
            // A stopped sender leaves the rotation; with none left the pool fails and its own parent decides.
            _senders.Remove(terminated.ActorRef);
            _next = 0;
            if (_senders.Count == 0)
            {
                throw new InvalidOperationException("every MailSender has stopped");
            }
        });
        Receive<SendMail>(send =>
        {
            _senders[_next].Forward(send);
            _next = (_next + 1) % _senders.Count;
        });
    }

    /// <summary>Props for the pool.</summary>
    public static Props Props(BrevoResilience brevo, int parallelism) =>
        Akka.Actor.Props.Create(() => new MailSendersActor(brevo, parallelism));

    /// <summary>
    /// A sender that throws has a bug or a broken HTTP stack, not a bad mail (Brevo's answers are outcomes, never
    /// exceptions): restart it, ten times a minute at most, then stop it so the fault is loud. A sender that cannot
    /// even be created is stopped at once.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(
        maxNrOfRetries: 10,
        withinTimeRange: TimeSpan.FromMinutes(1),
        localOnlyDecider: exception =>
        {
            _log.Error(exception, "A MailSender failed");
            return exception is ActorInitializationException ? Directive.Stop : Directive.Restart;
        });
}

/// <summary>Registers the MailSender pool.</summary>
public static class MailSendersActorHostingExtensions
{
    /// <summary>Starts the pool of <paramref name="parallelism"/> senders and registers it in the <c>ActorRegistry</c>.</summary>
    public static AkkaConfigurationBuilder AddMailSendersActor(this AkkaConfigurationBuilder builder,
        BrevoResilience brevo, int parallelism) =>
        builder.WithActors((system, registry) =>
        {
            brevo.Retrying += reason => system.EventStream.Publish(new MailEvents.SendRetried(reason));
            registry.Register<MailSendersActor>(system.ActorOf(MailSendersActor.Props(brevo, parallelism), "mail-senders"));
        });
}
