namespace Acaso.Mail.Actors.Queue;

/// <summary>The QueueReader's public messages.</summary>
public static class QueueProtocol
{
    /// <summary>Stop taking mail, let in-flight sends finish and settle, then reply <see cref="Drained"/>.</summary>
    public sealed record Drain
    {
        public static readonly Drain Instance = new();
    }

    /// <summary>Every in-flight mail is settled.</summary>
    public sealed record Drained
    {
        public static readonly Drained Instance = new();
    }

    /// <summary>
    /// Asks the reader to answer <see cref="Settled"/> once it is quiet: no take under way and every mail taken settled
    /// (the simulator's and the specs' way to wait for a window's work without polling).
    /// </summary>
    public sealed record WhenSettled
    {
        public static readonly WhenSettled Instance = new();
    }

    /// <summary>The answer to <see cref="WhenSettled"/>.</summary>
    public sealed record Settled
    {
        public static readonly Settled Instance = new();
    }

    /// <summary>Asks for the reader's <see cref="ReaderStatus"/>.</summary>
    public sealed record GetStatus
    {
        public static readonly GetStatus Instance = new();
    }

    /// <summary>The reader at a glance.</summary>
    /// <param name="Window">The window whose tokens it holds.</param>
    /// <param name="Permits">Takes it may still make in that window.</param>
    /// <param name="InFlight">Mails taken and not yet settled.</param>
    /// <param name="Draining">Whether it has stopped taking mail for shutdown.</param>
    /// <param name="Busy">A take, a look at the head, a question to the keeper or a send is under way.</param>
    public sealed record ReaderStatus(long Window, int Permits, int InFlight, bool Draining, bool Busy = false);
}
