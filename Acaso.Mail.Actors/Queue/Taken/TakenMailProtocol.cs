using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue.Stores;
using Acaso.Mail.Actors.Queue.Leases;
using Akka.Actor;

namespace Acaso.Mail.Actors.Queue.Taken;

/// <summary>
/// One message taken from the queue, as its <see cref="TakenMailActor"/> starts with it, with the <paramref name="Token"/>
/// its take held (none for a look between windows: it asks for one if it is urgent). <paramref name="Window"/>: the
/// reader's window at the take; <paramref name="WindowHalted"/>: Brevo failed in it, so the mail waits rather than goes.
/// </summary>
public sealed record TakenMail(QueueMessage Message, TakeToken? Token, long Window, bool WindowHalted)
{
    /// <summary>Taken to look at the queue head between windows, with no token.</summary>
    public bool Look => Token is null;

    /// <summary>The contract's verdict on the message: its priority first (the producer always sets 1..255), then its body.</summary>
    public ParseResult Read(DateTimeOffset now, ParserOptions contract) => Message switch
    {
        { HasPriority: false } => ParseResult.Reject(RejectReasons.InvalidPriority, "no priority property: the producer always sets 1..255"),
        { Priority: 0 } => ParseResult.Reject(RejectReasons.InvalidPriority, "priority 0: the producer always sets 1..255"),
        _ => MailRequestParser.Parse(Message.Body, Message.Priority, now, contract),
    };
}

/// <summary>What every mail actor of one reader uses: the queue to settle on, the actors it talks to, the stores.</summary>
/// <param name="Queue">The reader's queue (its channel): a mail is acked, requeued or dead-lettered where it was taken.</param>
/// <param name="Leases">The reader's <see cref="LeaseHolderActor"/>: whatever the keeper is told of a token goes through it.</param>
/// <param name="Senders">The MailSender pool.</param>
/// <param name="Settings">The reader's settings.</param>
/// <param name="FailedWindows">Windows in which Brevo kept failing on a mail, by its key.</param>
/// <param name="SentLedger">Keys Brevo accepted (none: only Brevo's idempotency key stops a repeat after a crash).</param>
/// <param name="Delivery">The suppression list and the history's recorder (none in some specs).</param>
/// <param name="Memory">What the reader's mails share in memory.</param>
public sealed record TakenMailServices(IMailQueue Queue, IActorRef Leases, IActorRef Senders, ReaderSettings Settings,
    IFailedWindowStore FailedWindows, ISentLedger? SentLedger, ReaderDelivery? Delivery, TakenMailMemory Memory);

/// <summary>What a mail's actor tells its reader.</summary>
public static class TakenMailProtocol
{
    /// <summary>The actor's name under the reader: <c>mail-</c> and the count of the reader's takes.</summary>
    public static string NameOf(ulong take) => "mail-" + take.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The mail's actor has ended (its last word, from its <c>PostStop</c>, so it comes even from one that failed);
    /// <paramref name="FreeTokenOf"/>: its token serves the next mail of that window (no send charged it).
    /// </summary>
    public sealed record MailEnded(long? FreeTokenOf);

    /// <summary>Brevo failed in <paramref name="Window"/> (or refused the account): the rest of it waits.</summary>
    public sealed record HaltWindow(long Window);

    /// <summary>
    /// A looked-at mail's actor has begun what becomes of the head (put back, dead-lettered, a token asked, the stores
    /// asked): the reader takes again only now, so the head it put back is in its place for the next take.
    /// </summary>
    public sealed record HeadDecided
    {
        public static readonly HeadDecided Instance = new();
    }

    /// <summary>A looked-at mail left the queue (sent on a lent token, dead-lettered, or already sent): the mail behind it may be urgent too.</summary>
    public sealed record HeadLeft
    {
        public static readonly HeadLeft Instance = new();
    }
}
