namespace Acaso.Mail.Actors.Queue.Broker;

/// <summary>A message held in the dead-letter list of <see cref="InMemoryMailQueue"/>.</summary>
public sealed record DeadLetter(byte[] Body, byte Priority, string Reason, string Detail);

/// <summary>
/// A priority queue in memory that behaves like RabbitMQ's for one reader: highest priority first, FIFO within a
/// priority, a requeued message back at its place. For the simulator and the virtual-time day specs.
/// </summary>
public sealed class InMemoryMailQueue : IMailQueue
{
    private readonly Lock _gate = new();
    private readonly SortedSet<(int NegPriority, long Seq)> _order = [];
    private readonly Dictionary<long, (byte[] Body, byte Priority)> _ready = [];
    private readonly Dictionary<ulong, long> _unacked = [];
    private readonly Dictionary<long, (byte[] Body, byte Priority)> _held = [];
    private readonly List<DeadLetter> _deadLetters = [];
    private readonly HashSet<long> _seenBefore = [];
    private long _seq;
    private ulong _tag;

    /// <inheritdoc />
    public string? Blocked => null;

    /// <summary>Messages ready to take.</summary>
    public int Count { get { lock (_gate) { return _ready.Count; } } }

    /// <summary>Messages taken and not yet settled.</summary>
    public int Unacked { get { lock (_gate) { return _unacked.Count; } } }

    /// <summary>The dead letters, in order.</summary>
    public IReadOnlyList<DeadLetter> DeadLetters { get { lock (_gate) { return [.. _deadLetters]; } } }

    /// <summary>Publishes a message, as the producer does.</summary>
    public void Publish(byte[] body, byte priority)
    {
        lock (_gate)
        {
            var seq = _seq++;
            _ready[seq] = (body, priority);
            _order.Add((-priority, seq));
        }
    }

    /// <summary>The priority at the head of the queue, or null when empty.</summary>
    public byte? HeadPriority
    {
        get { lock (_gate) { return _order.Count == 0 ? null : (byte)-_order.Min.NegPriority; } }
    }

    /// <inheritdoc />
    public Task<uint> ProbeAsync(CancellationToken cancellationToken = default) => Task.FromResult((uint)Count);

    /// <inheritdoc />
    public Task<QueueMessage?> TakeAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_order.Count == 0)
            {
                return Task.FromResult<QueueMessage?>(null);
            }

            var head = _order.Min;
            _order.Remove(head);
            var (body, priority) = _ready[head.Seq];
            _ready.Remove(head.Seq);
            var tag = ++_tag;
            _unacked[tag] = head.Seq;
            _held[head.Seq] = (body, priority);
            var redelivered = !_seenBefore.Add(head.Seq);
            return Task.FromResult<QueueMessage?>(new QueueMessage(tag, body, priority, redelivered, (uint)_order.Count));
        }
    }

    /// <inheritdoc />
    public Task AckAsync(QueueMessage message)
    {
        lock (_gate)
        {
            if (_unacked.Remove(message.DeliveryTag, out var seq))
            {
                _held.Remove(seq);
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task RequeueAsync(QueueMessage message)
    {
        lock (_gate)
        {
            if (_unacked.Remove(message.DeliveryTag, out var seq) && _held.Remove(seq, out var held))
            {
                _ready[seq] = held;
                _order.Add((-held.Priority, seq));
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task DeadLetterAsync(QueueMessage message, string reason, string detail)
    {
        lock (_gate)
        {
            if (_unacked.Remove(message.DeliveryTag, out var seq) && _held.Remove(seq, out var held))
            {
                _deadLetters.Add(new DeadLetter(held.Body, held.Priority, reason, detail));
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
