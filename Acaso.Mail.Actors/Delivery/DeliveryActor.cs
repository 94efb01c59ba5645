using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Events;
using Akka.Actor;
using Akka.Event;
using Akka.Hosting;

namespace Acaso.Mail.Actors.Delivery;

/// <summary>How delivery events are kept and acted on.</summary>
/// <param name="SoftBounceLimit">Soft bounces in a row (within <paramref name="SoftBounceWindow"/>) that suppress an address (<c>MAIL_SOFT_BOUNCE_LIMIT</c>).</param>
/// <param name="SoftBounceWindow">The span a streak of soft bounces must fall in (7 days).</param>
/// <param name="HistoryDays">How long a mail's history is kept (<c>MAIL_HISTORY_DAYS</c>): personal data is kept no longer than it serves.</param>
/// <param name="SyncBrevoBlocklist">Import Brevo's own blocked contacts at start (<c>MAIL_SYNC_BREVO_BLOCKLIST</c>).</param>
public sealed record DeliverySettings(int SoftBounceLimit = 5, TimeSpan? SoftBounceWindow = null, int HistoryDays = 30, bool SyncBrevoBlocklist = false)
{
    /// <summary>The streak's span, 7 days unless set.</summary>
    public TimeSpan StreakWindow => SoftBounceWindow ?? TimeSpan.FromDays(7);
}

/// <summary>The Delivery actor's messages.</summary>
public static class DeliveryProtocol
{
    /// <summary>Events Brevo's webhook delivered (already parsed and authenticated).</summary>
    public sealed record Received(IReadOnlyList<DeliveryEvent> Events);

    /// <summary>A line of a mail's history, from the reader (taken, sent, dead-lettered).</summary>
    public sealed record Record(HistoryEntry Entry, string? MessageId = null, int? Template = null);

    /// <summary>Asks the actor to answer <see cref="Done"/> once everything it was told before is written (specs, the simulator).</summary>
    public sealed record Flush
    {
        public static readonly Flush Instance = new();
    }

    /// <summary>The answer to <see cref="Flush"/>.</summary>
    public sealed record Done
    {
        public static readonly Done Instance = new();
    }
}

/// <summary>
/// The only writer of the <see cref="IDeliveryStore"/>: it records what the reader did with each mail and what Brevo's
/// webhook says became of it, once per event however often Brevo retries, and puts an address on the suppression list
/// on a hard bounce, an invalid address, a block, a spam complaint, an unsubscribe, or <c>MAIL_SOFT_BOUNCE_LIMIT</c> soft
/// bounces in a row. It purges what is older than <c>MAIL_HISTORY_DAYS</c> at start and every hour, and imports Brevo's
/// blocked contacts at start when asked. The reader only reads the list, before it reserves a token.
/// </summary>
public sealed class DeliveryActor : ReceiveActor, IWithTimers
{
    private const string PurgeTimer = "purge";
    private const string WriteTimer = "write";
    // History lines are written in one transaction a batch: at a thousand mails a second, a write each would cost the service.
    private const int MaxBuffered = 500;
    private static readonly TimeSpan WriteDelay = TimeSpan.FromMilliseconds(100);

    private readonly List<(HistoryEntry Entry, string? MessageId, int? Template)> _buffered = [];

    private readonly IDeliveryStore _store;
    private readonly DeliverySettings _settings;
    private readonly IBrevoClient? _brevo;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    /// <summary>Creates the actor; <paramref name="brevo"/> answers the blocklist import when <see cref="DeliverySettings.SyncBrevoBlocklist"/>.</summary>
    public DeliveryActor(IDeliveryStore store, DeliverySettings settings, IBrevoClient? brevo)
    {
        _store = store;
        _settings = settings;
        _brevo = brevo;
        Receive<DeliveryProtocol.Received>(received =>
        {
            // What the reader recorded first (a message's template above all) is written before the events that follow it.
            WriteBuffered();
            foreach (var delivery in received.Events)
            {
                Handle(delivery);
            }
        });
        Receive<DeliveryProtocol.Record>(record =>
        {
            _buffered.Add((record.Entry, record.MessageId, record.Template));
            if (_buffered.Count >= MaxBuffered)
            {
                WriteBuffered();
            }
            else if (_buffered.Count == 1)
            {
                Timers.StartSingleTimer(WriteTimer, WriteTick.Instance, WriteDelay);
            }
        });
        Receive<WriteTick>(_ => WriteBuffered());
        Receive<DeliveryProtocol.Flush>(_ =>
        {
            WriteBuffered();
            Sender.Tell(DeliveryProtocol.Done.Instance);
        });
        Receive<PurgeTick>(_ => Purge());
        Receive<Imported>(imported => _log.Info("Imported {Count} of Brevo's blocked contacts into the suppression list", imported.Count));
        Receive<Status.Failure>(failure => _log.Warning("Brevo's blocked contacts could not be imported: {Reason}", failure.Cause.Message));
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for the actor.</summary>
    public static Props Props(IDeliveryStore store, DeliverySettings settings, IBrevoClient? brevo = null) =>
        Akka.Actor.Props.Create(() => new DeliveryActor(store, settings, brevo));

    /// <inheritdoc />
    protected override void PreStart()
    {
        Purge();
        Timers.StartPeriodicTimer(PurgeTimer, PurgeTick.Instance, TimeSpan.FromHours(1));
        if (_settings.SyncBrevoBlocklist && _brevo is not null)
        {
            ImportBlocklistAsync(_brevo, _store, Context.System.Scheduler.Now).PipeTo(Self, success: count => new Imported(count));
        }
    }

    /// <inheritdoc />
    protected override void PostStop() => WriteBuffered();

    private void WriteBuffered()
    {
        if (_buffered.Count == 0)
        {
            return;
        }

        _store.RecordAll([.. _buffered]);
        _buffered.Clear();
        Timers.Cancel(WriteTimer);
    }

    private void Handle(DeliveryEvent delivery)
    {
        if (!_store.FirstTime(delivery))
        {
            // Brevo retries a webhook it thinks failed: the same event is recorded once.
            return;
        }

        var template = delivery.MessageId is { } id ? _store.TemplateOf(id) ?? delivery.TemplateId : delivery.TemplateId;
        _store.Record(new HistoryEntry(delivery.At, delivery.Email, delivery.Event, new Dictionary<string, object?>
        {
            ["message_id"] = delivery.MessageId, ["template"] = template, ["reason"] = delivery.Reason,
        }));
        Context.System.EventStream.Publish(new MailEvents.DeliveryReported(delivery.Event, template));

        var reason = delivery.Event switch
        {
            _ when DeliveryEvents.Suppressing.Contains(delivery.Event) => delivery.Event,
            "soft_bounce" when _store.CountSoftBounce(delivery.Email, delivery.At, _settings.StreakWindow) >= _settings.SoftBounceLimit => "soft_bounce",
            _ => null,
        };
        if (delivery.Event is "delivered" or "opened" or "unique_opened" or "click")
        {
            _store.EndStreak(delivery.Email);
        }

        if (reason is not null && _store.Suppressed(delivery.Email) is null)
        {
            _store.Suppress(new Suppression(delivery.Email, reason, delivery.At, "webhook"));
            _log.Info("An address is suppressed after a {Event} event: no mail goes to it until an operator removes it", delivery.Event);
        }
    }

    private void Purge()
    {
        var removed = _store.Purge(Context.System.Scheduler.Now - TimeSpan.FromDays(_settings.HistoryDays));
        if (removed > 0)
        {
            _log.Info("Purged {Count} history lines older than {Days} days", removed, _settings.HistoryDays);
        }
    }

    private static async Task<int> ImportBlocklistAsync(IBrevoClient brevo, IDeliveryStore store, DateTimeOffset now)
    {
        var imported = 0;
        for (var offset = 0; ; offset += BrevoClient.BlockedContactsPage)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var page = await brevo.GetBlockedContactsAsync(offset, timeout.Token).ConfigureAwait(false);
            foreach (var contact in page.Contacts)
            {
                store.Suppress(new Suppression(contact.Email, contact.Reason, contact.BlockedAt ?? now, "brevo_blocklist"));
                imported++;
            }

            if (page.Contacts.Count < BrevoClient.BlockedContactsPage || offset + page.Contacts.Count >= page.Total)
            {
                return imported;
            }
        }
    }

    private sealed record WriteTick
    {
        public static readonly WriteTick Instance = new();
    }

    private sealed record PurgeTick
    {
        public static readonly PurgeTick Instance = new();
    }

    private sealed record Imported(int Count);
}

/// <summary>Registers the Delivery actor.</summary>
public static class DeliveryActorHostingExtensions
{
    /// <summary>Starts the Delivery actor over <paramref name="store"/> as <c>delivery</c>.</summary>
    public static AkkaConfigurationBuilder AddDeliveryActor(this AkkaConfigurationBuilder builder, IDeliveryStore store, DeliverySettings settings,
        IBrevoClient? brevo = null) =>
        builder.WithActors((system, registry) =>
            // Its writes block (SQLite, or the shared database's round trips): on a thread of its own they never hold up
            // the reader and the senders on these few cores.
            registry.Register<DeliveryActor>(system.ActorOf(DeliveryActor.Props(store, settings, brevo).WithDispatcher(Dispatcher), "delivery")));

    /// <summary>The Delivery actor's own thread (<c>hocon/akka.hocon</c>).</summary>
    public const string Dispatcher = "acaso-mail-delivery-dispatcher";
}
