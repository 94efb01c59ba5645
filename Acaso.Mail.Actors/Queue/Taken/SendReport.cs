using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Events;
using Acaso.Mail.Actors.Sending;
using Akka.Event;

namespace Acaso.Mail.Actors.Queue.Taken;

/// <summary>What a send's end says to the metrics (a <see cref="MailEvents"/> record) and to the log.</summary>
internal static class SendReport
{
    /// <summary>Publishes and logs the end of <paramref name="request"/>'s send; <paramref name="waited"/>: from first seen to sent.</summary>
    public static void Tell(EventStream events, ILoggingAdapter log, MailRequest request, SendingProtocol.SendCompleted completed,
        SendVerdict verdict, bool urgent, bool borrowed, TimeSpan waited)
    {
        if (verdict.Event == SendEvent.Sent)
        {
            events.Publish(new MailEvents.Sent(request.Template, request.Priority, completed.Elapsed, completed.Attempts,
                ((Sent)completed.Outcome).WasDuplicate, urgent, borrowed, waited));
            return;
        }

        events.Publish(new MailEvents.SendFailed(request.Template, request.Priority, verdict.Reason,
            Requeued: verdict.Event == SendEvent.FailedRequeued, urgent));
        if (verdict.Disposition == Disposition.Requeue)
        {
            log.Warning("A mail of priority {Priority} could not be sent ({Reason}) after {Attempts} attempts: it stays queued for a later window",
                request.Priority, verdict.Reason, completed.Attempts);
        }
        else
        {
            log.Warning("Brevo refused a mail of priority {Priority} for good: {Reason} ({Detail})", request.Priority, verdict.Reason,
                verdict.Detail);
        }
    }
}
