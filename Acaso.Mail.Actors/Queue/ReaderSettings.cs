using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Settings;
using Akka.Actor;

namespace Acaso.Mail.Actors.Queue;

/// <summary>The reader's link to the Delivery role: the suppression list it reads, and the actor it tells each mail's history.</summary>
public sealed record ReaderDelivery(Delivery.IDeliveryStore Store, Akka.Actor.IActorRef Recorder)
{
    /// <summary>Tells the Delivery actor a line of <paramref name="request"/>'s history.</summary>
    public void Remember(DateTimeOffset now, MailRequest request, string kind, string? messageId, params (string Name, object? Value)[] fields) =>
        Recorder.Tell(new Delivery.DeliveryProtocol.Record(
            new Delivery.HistoryEntry(now, request.RecipientEmail, kind, fields.ToDictionary(f => f.Name, f => f.Value)),
            messageId, (int)request.Template));
}

/// <summary>What the reader needs to know to serve the queue.</summary>
/// <param name="Contract">Parser limits and expiry grace.</param>
/// <param name="Render">The zone dates are shown in, and sandbox mode.</param>
/// <param name="PollInterval">How soon an empty or unreachable queue is asked again while tokens remain.</param>
/// <param name="MaxFailedWindows">After this many windows in a row in which Brevo kept failing on a mail, it is dead-lettered as <c>transient_exhausted</c>.</param>
/// <param name="Urgent">The urgent lane (off unless given).</param>
/// <param name="LeaseBatch">Tokens asked of the keeper at once (unlimited mode: the send parallelism; daily mode: one a take).</param>
/// <param name="UrgentSignalled">
/// The node's inbox mover tells the reader of each urgent mail it moves (<see cref="Events.MailEvents.UrgentMoved"/>, with
/// the durable inbox): no periodic look at the queue head, only one at start and one after each window.
/// </param>
public sealed record ReaderSettings(ParserOptions Contract, RenderOptions Render, TimeSpan PollInterval, int MaxFailedWindows = 24,
    UrgentSettings? Urgent = null, int LeaseBatch = 1, bool UrgentSignalled = false)
{
    /// <summary>The urgent lane, or the old policy when none was given.</summary>
    public UrgentSettings UrgentLane => Urgent ?? UrgentSettings.Off;

    /// <summary>What counts as urgent in the metrics: the lane's threshold, or 199 (today or tomorrow) when the lane is off.</summary>
    public int UrgentThreshold => UrgentLane.Enabled ? UrgentLane.Priority : 199;

    /// <summary>The reader's settings as the service's settings give them.</summary>
    public static ReaderSettings From(MailSettings settings) =>
        new(settings.Contract, settings.Render, settings.Queue.PollInterval, settings.Queue.MaxFailedWindows, settings.Urgent,
            settings.Budget.Unlimited ? settings.SendParallelism : 1, UrgentSignalled: settings.Queue.DurableInbox);
}
