using Akka.Actor;

namespace Acaso.Mail.Actors.Queue;

/// <summary>
/// The QueueReader's parent, there for its supervision: the reader's leases and its mails' actors (taken, unacked,
/// perhaps already accepted by Brevo) live with it, so a restart would stop every mail under way and take again.
/// Its stores and broker never throw into it, so an exception is a defect: the reader is resumed with its state, the
/// message that threw is lost (and logged). Only a reader that could not start, or that lost a child it cannot take
/// without (its lease holder or its broker probe: a death pact), is restarted.
/// </summary>
public sealed class QueueReaderSupervisorActor : ReceiveActor
{
    private readonly IActorRef _reader;

    /// <summary>Starts the reader from <paramref name="reader"/> as its child <c>reader</c>.</summary>
    public QueueReaderSupervisorActor(Props reader)
    {
        _reader = Context.ActorOf(reader, "reader");
        Receive<GetReader>(_ => Sender.Tell(_reader));
    }

    /// <summary>Props for the supervisor of the reader <paramref name="reader"/> describes.</summary>
    public static Props Props(Props reader) => Akka.Actor.Props.Create(() => new QueueReaderSupervisorActor(reader));

    /// <inheritdoc />
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(
        maxNrOfRetries: -1,
        withinTimeRange: Timeout.InfiniteTimeSpan,
        localOnlyDecider: cause => cause is ActorInitializationException or DeathPactException ? Directive.Restart : Directive.Resume);

    /// <summary>Asks for the reader's ref.</summary>
    public sealed record GetReader
    {
        public static readonly GetReader Instance = new();
    }
}
