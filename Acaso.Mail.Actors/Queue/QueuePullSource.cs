using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.Stage;
using Acaso.Mail.Actors.Queue.Broker;

namespace Acaso.Mail.Actors.Queue;

/// <summary>What one take of <see cref="QueuePullSource"/> brought back.</summary>
public abstract record QueuePull
{
    /// <summary>A message, taken and unacked.</summary>
    public sealed record Taken(QueueMessage Message) : QueuePull;

    /// <summary>
    /// Nothing was taken: the queue was empty at the time of the take, or (<paramref name="Failure"/>) the broker could
    /// not be asked (down, recovering, declaration refused).
    /// </summary>
    public sealed record NothingTaken(Exception? Failure) : QueuePull
    {
        /// <summary>The queue was empty.</summary>
        public static readonly NothingTaken Empty = new(Failure: null);
    }
}

/// <summary>The source's control surface: how many takes its owner allows.</summary>
public interface IQueueDemand
{
    /// <summary>Allows <paramref name="takes"/> more takes; each emits exactly one <see cref="QueuePull"/>.</summary>
    void Request(int takes);
}

/// <summary>
/// An Akka.Streams source over <see cref="IMailQueue"/> that takes (one <c>basic.get</c>) only when its owner has
/// requested a take through the materialised <see cref="IQueueDemand"/> and downstream has pulled: never ahead of
/// either. The QueueReader requests one take per free send token, so the unacknowledged messages never outnumber
/// the tokens. It plays the role Alpakka's AMQP source would, without its prefetching consumer: a prefetch lets
/// later, more urgent mail queue behind mail already handed to the consumer, while a take per token keeps
/// RabbitMQ's priority order exact at every take. Broker faults are emitted, not thrown, so an outage never tears
/// the stream down; the owner decides when to ask again.
/// </summary>
public sealed class QueuePullSource(IMailQueue queue) : GraphStageWithMaterializedValue<SourceShape<QueuePull>, IQueueDemand>
{
    private readonly Outlet<QueuePull> _out = new("queue.pull.out");
    private readonly IMailQueue _queue = queue;

    /// <inheritdoc />
    public override SourceShape<QueuePull> Shape => new(_out);

    /// <summary>
    /// Runs a source over <paramref name="queue"/> into <paramref name="owner"/>, which hears each take's
    /// <see cref="QueuePull"/> and, should the stream ever complete or fail, <paramref name="ended"/> of why; returns the demand.
    /// </summary>
    public static IQueueDemand RunTo(IActorRef owner, IMailQueue queue, IMaterializer materializer, Func<Exception, object> ended) =>
        Source.FromGraph(new QueuePullSource(queue))
            .To(Sink.ActorRef<QueuePull>(owner, ended(new InvalidOperationException("the queue stream completed")), ended))
            .Run(materializer);

    /// <inheritdoc />
    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("queue-pull-source");

    /// <inheritdoc />
    public override ILogicAndMaterializedValue<IQueueDemand> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var logic = new Logic(this);
        return new LogicAndMaterializedValue<IQueueDemand>(logic, logic);
    }

    private sealed class Logic : OutGraphStageLogic, IQueueDemand
    {
        private readonly QueuePullSource _stage;
        private readonly Action<QueuePull> _onTaken;
        private readonly Action<int> _onRequest;
        private int _requested;
        private bool _taking;

        public Logic(QueuePullSource stage) : base(stage.Shape)
        {
            _stage = stage;
            _onTaken = GetAsyncCallback<QueuePull>(pull =>
            {
                _taking = false;
                Push(_stage._out, pull);
            });
            _onRequest = GetAsyncCallback<int>(takes =>
            {
                _requested += takes;
                TryTake();
            });
            SetHandler(stage._out, this);
        }

        public void Request(int takes) => _onRequest(takes);

        public override void OnPull() => TryTake();

        private void TryTake()
        {
            if (_taking || _requested <= 0 || !IsAvailable(_stage._out))
            {
                return;
            }

            _taking = true;
            _requested--;
            _stage._queue.TakeAsync().ContinueWith(
                task => _onTaken(task.IsCompletedSuccessfully
                    ? task.Result is { } message ? new QueuePull.Taken(message) : QueuePull.NothingTaken.Empty
                    : new QueuePull.NothingTaken(task.Exception?.GetBaseException() ?? new TaskCanceledException())),
                TaskScheduler.Default);
        }
    }
}
