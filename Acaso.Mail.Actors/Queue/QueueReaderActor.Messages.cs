namespace Acaso.Mail.Actors.Queue;

/// <summary>The reader's private state record and the messages it sends itself.</summary>
public sealed partial class QueueReaderActor
{
    /// <summary>The window the reader holds tokens of.</summary>
    /// <param name="Id">The keeper's window id.</param>
    /// <param name="Tokens">Tokens not yet used for a take.</param>
    /// <param name="Halted">Brevo failed (or refused the account) in it: the rest of it waits, urgent mail too.</param>
    private sealed record ReaderWindow(long Id, int Tokens, bool Halted = false);

    /// <summary>Take now if a token is free (a poll, or a token given back).</summary>
    private sealed record TakeNext
    {
        public static readonly TakeNext Instance = new();
    }

    /// <summary>The last mail in flight was settled: quiet now, unless a take is under way.</summary>
    private sealed record QuietCheck
    {
        public static readonly QuietCheck Instance = new();
    }

    private sealed record UrgentTick
    {
        public static readonly UrgentTick Instance = new();
    }

    /// <summary>A look the keeper put off (another reader's take was under way) is due again.</summary>
    private sealed record LookAgain
    {
        public static readonly LookAgain Instance = new();
    }

    /// <summary>Time to subscribe to the keeper again.</summary>
    private sealed record Resubscribe : Akka.Event.IDeadLetterSuppression
    {
        public static readonly Resubscribe Instance = new();
    }

    /// <summary>The queue stream completed or failed (<paramref name="Cause"/>): it is started again.</summary>
    private sealed record StreamEnded(Exception Cause);

    /// <summary>The keeper did not answer the lease (or the urgent question, tag 0) asked under <paramref name="Tag"/> in time.</summary>
    private sealed record KeeperSilent(ulong Tag);
}
