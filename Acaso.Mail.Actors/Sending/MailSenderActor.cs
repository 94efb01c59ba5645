using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using static Acaso.Mail.Actors.Sending.SendingProtocol;

namespace Acaso.Mail.Actors.Sending;

/// <summary>
/// Sends mail through the shared <see cref="BrevoResilience"/> pipeline and replies each final outcome to whoever
/// asked. It holds no mail of its own: the reply is piped from the send itself, so it reaches the reader even if
/// this actor is restarted meanwhile, and a restart never loses a mail. How many sends run at once is bounded
/// upstream, by the send tokens the reader holds.
/// </summary>
public sealed class MailSenderActor : ReceiveActor
{
    private readonly BrevoResilience _brevo;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Creates a sender over the shared pipeline.</summary>
    public MailSenderActor(BrevoResilience brevo)
    {
        _brevo = brevo;
        Receive<SendMail>(Handle);
    }

    /// <summary>Props for one sender.</summary>
    public static Props Props(BrevoResilience brevo) => Akka.Actor.Props.Create(() => new MailSenderActor(brevo));

    private void Handle(SendMail send)
    {
        var clock = Stopwatch.StartNew();
        _brevo.SendAsync(send.Body, _stopping.Token).PipeTo(Sender,
            success: result => new SendCompleted(send.Tag, result.Outcome, result.Attempts.Count, result.Attempts.MayHaveCharged, clock.Elapsed),
            failure: e =>
            {
                _log.Error(e, "A send failed unexpectedly");
                return new SendCompleted(send.Tag, new Brevo.TransientFailure("unexpected", e.GetType().Name, Ambiguous: true), 0, true, clock.Elapsed);
            });
    }

    /// <summary>
    /// A restart leaves the sends under way alone: they finish (each attempt has its timeout) and report to the
    /// reader as if nothing happened. Cancelling them would abort requests Brevo may already have accepted.
    /// </summary>
    protected override void PreRestart(Exception reason, object message)
    {
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        // Shutdown waits for in-flight sends before it stops the senders; anything left is cancelled here.
        _stopping.Cancel();
        _stopping.Dispose();
    }
}
