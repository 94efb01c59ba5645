using Akka.Streams;
using Akka.Streams.Stage;

namespace Acaso.Mail.Actors.Queue;

/// <summary>What one pull of <see cref="QueuePullSource"/> brought back.</summary>
public abstract record QueuePull
{
    /// <summary>A message, taken and unacked.</summary>
    public sealed record Taken(QueueMessage Message) : QueuePull;

    /// <summary>The queue was empty at the time of the pull.</summary>
    public sealed record Empty : QueuePull
    {
        public static readonly Empty Instance = new();
    }

    /// <summary>The broker could not be asked (down, recovering, declaration refused).</summary>
    public sealed record Failed(Exception Cause) : QueuePull;
}

/// <summary>
/// An Akka.Streams source over <see cref="IMailQueue"/>: exactly one <c>basic.get</c> per downstream demand,
/// never ahead of it. It plays the role Alpakka's AMQP source would, without its prefetching consumer: a
/// prefetch lets later, more urgent mail queue behind mail already handed to the consumer, and one take per
/// token keeps RabbitMQ's priority order exact at every take. Broker faults are emitted, not thrown, so an
/// outage never tears the stream down; the downstream decides when to ask again.
/// </summary>
public sealed class QueuePullSource(IMailQueue queue) : GraphStage<SourceShape<QueuePull>>
{
    private readonly Outlet<QueuePull> _out = new("queue.pull.out");
    private readonly IMailQueue _queue = queue;

    /// <inheritdoc />
    public override SourceShape<QueuePull> Shape => new(_out);

    /// <inheritdoc />
    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("queue-pull-source");

    /// <inheritdoc />
    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    private sealed class Logic : OutGraphStageLogic
    {
        private readonly QueuePullSource _stage;
        private readonly Action<QueuePull> _onTaken;

        public Logic(QueuePullSource stage) : base(stage.Shape)
        {
            _stage = stage;
            _onTaken = GetAsyncCallback<QueuePull>(pull => Push(_stage._out, pull));
            SetHandler(stage._out, this);
        }

        public override void OnPull()
        {
            _stage._queue.TakeAsync().ContinueWith(
                task => _onTaken(task.IsCompletedSuccessfully
                    ? task.Result is { } message ? new QueuePull.Taken(message) : QueuePull.Empty.Instance
                    : new QueuePull.Failed(task.Exception?.GetBaseException() ?? new TaskCanceledException())),
                TaskScheduler.Default);
        }
    }
}
