using System.Collections.Immutable;
using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;
using static Acaso.Mail.Actors.Budget.BudgetProtocol;

namespace Acaso.Mail.Actors.Budget;

/// <summary>
/// The wire and journal format of everything <see cref="IBudgetWire"/>: the keeper's protocol, which crosses nodes
/// (the keeper is a cluster singleton), its journal's events and its snapshots. Each type has a stable, versioned manifest that names
/// no CLR type (<c>reserve-v1</c>, <c>budget-state-v1</c>), and its body is JSON with snake_case names, so a class
/// renamed or moved to another namespace reads the same rows and talks to the same nodes. A format change adds a
/// manifest version (<c>-v2</c>) and keeps reading the old one; <c>BudgetSerializerSpecs</c> pins every manifest's
/// JSON, so a change that would silently alter one fails there first. Bound in <c>hocon/akka.hocon</c>; rows and
/// messages an earlier build wrote with Akka's default serializer (Newtonsoft, serializer id 1) are still read by it.
/// </summary>
public sealed class BudgetSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>The serializer's id in the journal's rows and on the wire: never to change.</summary>
    public const int Id = 4207;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    // The manifests: a type's name here is free to change, its manifest never is.
    private static readonly Dictionary<Type, string> Manifests = new()
    {
        [typeof(HourlyTick)] = "hourly-tick-v1",
        [typeof(EndOfDayTick)] = "end-of-day-tick-v1",
        [typeof(Subscribe)] = "subscribe-v1",
        [typeof(WindowOpened)] = "window-opened-v1",
        [typeof(Reserve)] = "reserve-v1",
        [typeof(Reserved)] = "reserved-v1",
        [typeof(ReservationDenied)] = "reservation-denied-v1",
        [typeof(Spending)] = "spending-v1",
        [typeof(Settle)] = "settle-v1",
        [typeof(Settled)] = "settled-v1",
        [typeof(KeeperPaused)] = "keeper-paused-v1",
        [typeof(BudgetReport)] = "budget-report-v1",
        [typeof(CanSendUrgent)] = "can-send-urgent-v1",
        [typeof(UrgentCapacity)] = "urgent-capacity-v1",
        [typeof(WhenStarted)] = "when-started-v1",
        [typeof(KeeperStarted)] = "keeper-started-v1",
        [typeof(GetStatus)] = "get-status-v1",
        [typeof(BudgetStatus)] = "budget-status-v1",
        // The snapshot: typed leases here, a line of text each on v1 (BudgetKeeperState); v2 is read, not yet written.
        [typeof(KeeperBook)] = StateV1,
        // The keeper's journal (1.4.0 on): what happened, one event at a time.
        [typeof(KeeperEvents.DayBegan)] = "day-began-v1",
        [typeof(KeeperEvents.WindowBegan)] = "window-began-v1",
        [typeof(KeeperEvents.TokenLeased)] = "token-leased-v1",
        [typeof(KeeperEvents.LeaseSending)] = "lease-sending-v1",
        [typeof(KeeperEvents.LeaseSettled)] = "lease-settled-v1",
        [typeof(KeeperEvents.LeasesReleased)] = "leases-released-v1",
        [typeof(KeeperEvents.SpentCounted)] = "spent-counted-v1",
    };

    private const string StateV1 = "budget-state-v1";
    private const string StateV2 = "budget-state-v2";

    private static readonly Dictionary<string, Type> Types = Manifests.ToDictionary(m => m.Value, m => m.Key);

    // The messages with no data: one instance each.
    private static readonly Dictionary<string, object> Singletons = new()
    {
        ["hourly-tick-v1"] = HourlyTick.Instance,
        ["end-of-day-tick-v1"] = EndOfDayTick.Instance,
        ["keeper-paused-v1"] = KeeperPaused.Instance,
        ["can-send-urgent-v1"] = CanSendUrgent.Instance,
        ["when-started-v1"] = WhenStarted.Instance,
        ["keeper-started-v1"] = KeeperStarted.Instance,
        ["get-status-v1"] = GetStatus.Instance,
    };

    /// <inheritdoc />
    public override int Identifier => Id;

    /// <summary>Every manifest this serializer writes, by type (the specs walk them).</summary>
    public static IReadOnlyDictionary<Type, string> Written => Manifests;

    /// <inheritdoc />
    public override string Manifest(object o) =>
        Manifests.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new ArgumentException($"{o.GetType().Name} has no manifest in {nameof(BudgetSerializer)}", nameof(o));

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        var manifest = Manifest(obj);
        return obj switch
        {
            _ when Singletons.ContainsKey(manifest) => "{}"u8.ToArray(),
            // An actor ref travels as its full path with its incarnation, resolved on the other node.
            Subscribe subscribe => JsonSerializer.SerializeToUtf8Bytes(new SubscribeV1(Akka.Serialization.Serialization.SerializedActorPath(subscribe.Reader)), Json),
            KeeperBook book => JsonSerializer.SerializeToUtf8Bytes(BudgetKeeperState.From(book), Json),
            _ => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Json),
        };
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (Singletons.TryGetValue(manifest, out var singleton))
        {
            return singleton;
        }

        if (manifest == "subscribe-v1")
        {
            var wire = JsonSerializer.Deserialize<SubscribeV1>(bytes, Json) ?? throw new SerializationException("subscribe-v1 without a body");
            return new Subscribe(system.Provider.ResolveActorRef(wire.Reader));
        }

        switch (manifest)
        {
            case StateV1:
                return Read<BudgetKeeperState>(bytes, manifest).ToBook();
            case StateV2:
                return Read<BudgetStateV2>(bytes, manifest).ToBook();
        }

        return Types.TryGetValue(manifest, out var type)
            ? JsonSerializer.Deserialize(bytes, type, Json) ?? throw new SerializationException($"{manifest} without a body")
            : throw new SerializationException($"Unknown manifest '{manifest}': a newer build's message or row? Upgrade this node.");
    }

    private static T Read<T>(byte[] bytes, string manifest) =>
        JsonSerializer.Deserialize<T>(bytes, Json) ?? throw new SerializationException($"{manifest} without a body");

    /// <summary><see cref="Subscribe"/> on the wire.</summary>
    private sealed record SubscribeV1(string Reader);

    /// <summary>The snapshot with typed leases, <c>budget-state-v2</c>: read by this release, to be written by the next.</summary>
    private sealed record BudgetStateV2(DateOnly Day, int Spent, long Window, int WindowGranted, int WindowUsed, int Borrowed, int WindowRepaid,
        LeaseV2[]? Leases, Guid[]? WrittenOff)
    {
        public KeeperBook ToBook() =>
            new(Day, Spent, Window, WindowGranted, WindowUsed, Borrowed, WindowRepaid,
                (Leases ?? []).ToImmutableDictionary(l => l.Key, l => new KeeperLease(l.Window, l.Borrowed, l.Day, l.Sending, l.Mail, l.Superseded)),
                [.. WrittenOff ?? []]);
    }

    /// <summary>A lease of <see cref="BudgetStateV2"/>: its key and its fields.</summary>
    private sealed record LeaseV2(string Key, long Window, bool Borrowed, DateOnly Day, bool Sending, Guid? Mail, bool Superseded);
}
