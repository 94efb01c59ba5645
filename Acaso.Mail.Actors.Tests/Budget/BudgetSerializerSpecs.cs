using System.Collections.Immutable;
using System.Text;
using Acaso.Mail.Actors.Budget;
using Akka.Actor;
using static Acaso.Mail.Actors.Budget.BudgetProtocol;

namespace Acaso.Mail.Actors.Tests.Budget;

/// <summary>
/// The keeper's wire and journal format: every type that crosses nodes or is persisted goes through
/// <see cref="BudgetSerializer"/> with a stable manifest, and each manifest's JSON is pinned here, so a rename or a
/// changed field shows as a failing row (then add a <c>-v2</c> manifest and keep reading <c>-v1</c>).
/// </summary>
public sealed class BudgetSerializerSpecs() : Akka.TestKit.Xunit2.TestKit(Acaso.Mail.Actors.Settings.SettingsLoader.Embedded("akka.hocon"))
{
    private static readonly Guid Key = Guid.Parse("0b6f0e0e-3c59-4f0b-9d55-5a4be1a6e2a1");
    private static readonly DateOnly Day = new(2026, 11, 30);
    private const string Lease = "akka://acaso-mail/user/queue-reader/reader#12 3";

    /// <summary>One value of each wire type, and the JSON its manifest pins.</summary>
    private static readonly Dictionary<Type, (object Value, string Json)> Samples = new()
    {
        [typeof(HourlyTick)] = (HourlyTick.Instance, "{}"),
        [typeof(EndOfDayTick)] = (EndOfDayTick.Instance, "{}"),
        [typeof(WindowOpened)] = (new WindowOpened(7, 12, WindowKind.EndOfDay, Day), """{"window":7,"tokens":12,"kind":"end_of_day","day":"2026-11-30"}"""),
        [typeof(Reserve)] = (new Reserve(7, 9223372036854775809, Urgent: true, Count: 4), """{"window":7,"tag":9223372036854775809,"urgent":true,"count":4}"""),
        [typeof(Reserved)] = (new Reserved(7, 3, Borrowed: true, Count: 1, Settles: false), """{"window":7,"tag":3,"borrowed":true,"count":1,"settles":false}"""),
        [typeof(ReservationDenied)] = (new ReservationDenied(7, 3, "window_spent"), """{"window":7,"tag":3,"reason":"window_spent"}"""),
        [typeof(Spending)] = (new Spending(7, 3, Key), """{"window":7,"tag":3,"key":"0b6f0e0e-3c59-4f0b-9d55-5a4be1a6e2a1"}"""),
        [typeof(Settle)] = (new Settle(7, 3, Charged: true, Borrowed: false, Key, Accepted: true),
            """{"window":7,"tag":3,"charged":true,"borrowed":false,"key":"0b6f0e0e-3c59-4f0b-9d55-5a4be1a6e2a1","accepted":true}"""),
        [typeof(Settled)] = (new Settled(3), """{"tag":3}"""),
        [typeof(KeeperPaused)] = (KeeperPaused.Instance, "{}"),
        [typeof(BudgetReport)] = (new BudgetReport(25, 275, 4, 1), """{"spent":25,"left_today":275,"window_left":4,"borrowed":1}"""),
        [typeof(CanSendUrgent)] = (CanSendUrgent.Instance, "{}"),
        [typeof(UrgentCapacity)] = (new UrgentCapacity(7, 2), """{"window":7,"tokens":2}"""),
        [typeof(WhenStarted)] = (WhenStarted.Instance, "{}"),
        [typeof(KeeperStarted)] = (KeeperStarted.Instance, "{}"),
        [typeof(GetStatus)] = (GetStatus.Instance, "{}"),
        [typeof(BudgetStatus)] = (new BudgetStatus(Day, 25, 2, 7, 12, 10, 300, 1, Started: true),
            """{"day":"2026-11-30","spent":25,"in_flight":2,"window":7,"window_granted":12,"window_used":10,"daily_limit":300,"borrowed":1,"started":true,"left_today":273,"window_left":2}"""),
        [typeof(KeeperBook)] = (new KeeperBook(Day, 25, 7, 12, 10, 1, 0,
                ImmutableDictionary<string, KeeperLease>.Empty.Add("akka://acaso-mail/user/queue-reader/reader#12 9223372036854775809",
                    new KeeperLease(7, Borrowed: false, Day, Sending: true, Key)), [Key]),
            """{"day":"2026-11-30","spent":25,"window":7,"window_granted":12,"window_used":10,"borrowed":1,"window_repaid":0,"leases":["akka://acaso-mail/user/queue-reader/reader#12 9223372036854775809|7|0|1|2026-11-30|0b6f0e0e-3c59-4f0b-9d55-5a4be1a6e2a1|0"],"orphans":[],"written_off":["0b6f0e0e-3c59-4f0b-9d55-5a4be1a6e2a1"]}"""),
        [typeof(KeeperEvents.DayBegan)] = (new KeeperEvents.DayBegan(Day), """{"day":"2026-11-30"}"""),
        [typeof(KeeperEvents.WindowBegan)] = (new KeeperEvents.WindowBegan(8, 11, WindowKind.Hourly, 1), """{"window":8,"tokens":11,"kind":"hourly","repaid":1}"""),
        [typeof(KeeperEvents.TokenLeased)] = (new KeeperEvents.TokenLeased(Lease, 8, true, Day), """{"lease":"akka://acaso-mail/user/queue-reader/reader#12 3","window":8,"borrowed":true,"day":"2026-11-30"}"""),
        [typeof(KeeperEvents.LeaseSending)] = (new KeeperEvents.LeaseSending(Lease, Key), """{"lease":"akka://acaso-mail/user/queue-reader/reader#12 3","mail":"0b6f0e0e-3c59-4f0b-9d55-5a4be1a6e2a1"}"""),
        [typeof(KeeperEvents.LeaseSettled)] = (new KeeperEvents.LeaseSettled(Lease, 8, Charged: true, Borrowed: true, Key, Accepted: true),
            """{"lease":"akka://acaso-mail/user/queue-reader/reader#12 3","window":8,"charged":true,"borrowed":true,"mail":"0b6f0e0e-3c59-4f0b-9d55-5a4be1a6e2a1","accepted":true}"""),
        [typeof(KeeperEvents.LeasesReleased)] = (new KeeperEvents.LeasesReleased([Lease]), """{"leases":["akka://acaso-mail/user/queue-reader/reader#12 3"]}"""),
        [typeof(KeeperEvents.SpentCounted)] = (new KeeperEvents.SpentCounted(Day, 42), """{"day":"2026-11-30","spent":42}"""),
    };

    public static TheoryData<string> WireTypes
    {
        get
        {
            var data = new TheoryData<string>();
            // A subscribe carries an actor ref: its own spec below.
            foreach (var type in WireTypesOfTheAssembly().Where(t => t != typeof(Subscribe)))
            {
                data.Add(type.FullName!);
            }

            return data;
        }
    }

    private static IEnumerable<Type> WireTypesOfTheAssembly() =>
        typeof(IBudgetWire).Assembly.GetTypes().Where(t => typeof(IBudgetWire).IsAssignableFrom(t) && !t.IsInterface).OrderBy(t => t.FullName);

    [Fact]
    public void Every_type_that_crosses_nodes_or_is_persisted_should_be_bound_to_the_budget_serializer_with_a_manifest_and_a_sample()
    {
        var types = WireTypesOfTheAssembly().ToList();
        // Every message of the protocol and the journaled state: a new one not marked IBudgetWire fails here.
        var protocol = typeof(BudgetProtocol).GetNestedTypes().Concat(typeof(KeeperEvents).GetNestedTypes())
            .Where(t => !t.IsEnum && !t.IsInterface).Append(typeof(KeeperBook));
        Assert.All(protocol, type => Assert.Contains(type, types));
        Assert.Equal(Samples.Keys.Append(typeof(Subscribe)).OrderBy(t => t.FullName), types);
        Assert.Equal(BudgetSerializer.Written.Keys.OrderBy(t => t.FullName), types);
        Assert.All(types, type =>
        {
            Assert.IsType<BudgetSerializer>(Sys.Serialization.FindSerializerForType(type));
            // Stable and versioned, naming no CLR type.
            Assert.Matches("^[a-z]+(-[a-z]+)*-v[0-9]+$", BudgetSerializer.Written[type]);
        });
        Assert.Equal(types.Count, BudgetSerializer.Written.Values.Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(WireTypes))]
    public void A_wire_type_should_be_written_as_its_pinned_json_and_read_back_equal(string typeName)
    {
        var (value, json) = Samples[WireTypesOfTheAssembly().Single(t => t.FullName == typeName)];
        var serializer = Sys.Serialization.FindSerializerFor(value);
        var bytes = serializer.ToBinary(value);
        Assert.Equal(json, Encoding.UTF8.GetString(bytes));
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, value);
        Assert.Equivalent(value, Sys.Serialization.Deserialize(bytes, serializer.Identifier, manifest), strict: true);
    }

    [Fact]
    public void A_subscribe_should_carry_its_reader_as_a_path_resolved_on_the_other_side()
    {
        var reader = CreateTestProbe();
        var serializer = Sys.Serialization.FindSerializerFor(new Subscribe(reader.Ref));
        var bytes = serializer.ToBinary(new Subscribe(reader.Ref));
        Assert.DoesNotContain("Acaso.Mail", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        var read = Assert.IsType<Subscribe>(Sys.Serialization.Deserialize(bytes, BudgetSerializer.Id, "subscribe-v1"));
        read.Reader.Tell("hello");
        reader.ExpectMsg("hello");
    }

    [Fact]
    public void An_urgent_capacity_should_say_busy_only_when_it_is_so_both_ways_between_builds()
    {
        var serializer = Sys.Serialization.FindSerializerFor(new UrgentCapacity(7, 2));
        // Busy goes on the wire only when true; an older build ignores the field it does not know.
        Assert.Equal("""{"window":7,"tokens":2,"busy":true}""", Encoding.UTF8.GetString(serializer.ToBinary(new UrgentCapacity(7, 2, Busy: true))));
        Assert.Equal(new UrgentCapacity(7, 2, Busy: true), Sys.Serialization.Deserialize(
            """{"window":7,"tokens":2,"busy":true}"""u8.ToArray(), BudgetSerializer.Id, "urgent-capacity-v1"));
        // An older keeper's answer, without the field: not busy.
        Assert.Equal(new UrgentCapacity(7, 2), Sys.Serialization.Deserialize(
            """{"window":7,"tokens":2}"""u8.ToArray(), BudgetSerializer.Id, "urgent-capacity-v1"));
    }

    [Fact]
    public void A_snapshot_should_be_read_with_typed_leases_from_v1_text_and_from_v2_alike()
    {
        var lease = new KeeperLease(7, Borrowed: true, Day, Sending: true, Key, Superseded: true);
        var v1 = """
            {"day":"2026-11-30","spent":25,"window":7,"window_granted":12,"window_used":10,"borrowed":1,"window_repaid":0,
             "leases":["akka://acaso-mail/user/queue-reader/reader#12 3|7|1|1|2026-11-30|0b6f0e0e-3c59-4f0b-9d55-5a4be1a6e2a1|1"],
             "orphans":[],"written_off":["0b6f0e0e-3c59-4f0b-9d55-5a4be1a6e2a1"]}
            """;
        var v2 = """
            {"day":"2026-11-30","spent":25,"window":7,"window_granted":12,"window_used":10,"borrowed":1,"window_repaid":0,
             "leases":[{"key":"akka://acaso-mail/user/queue-reader/reader#12 3","window":7,"borrowed":true,"day":"2026-11-30",
                        "sending":true,"mail":"0b6f0e0e-3c59-4f0b-9d55-5a4be1a6e2a1","superseded":true}],
             "written_off":["0b6f0e0e-3c59-4f0b-9d55-5a4be1a6e2a1"]}
            """;

        foreach (var (json, manifest) in new[] { (v1, "budget-state-v1"), (v2, "budget-state-v2") })
        {
            var book = Assert.IsType<KeeperBook>(Sys.Serialization.Deserialize(Encoding.UTF8.GetBytes(json), BudgetSerializer.Id, manifest));
            Assert.Equal((Lease, lease), (Assert.Single(book.Leases).Key, Assert.Single(book.Leases).Value));
            Assert.Equal([Key], book.WrittenOff);
            Assert.Equal((Day, 25, 7, 12, 10, 1, 0), (book.Day, book.Spent, book.Window, book.WindowGranted, book.WindowUsed, book.Borrowed, book.WindowRepaid));
        }
    }

    [Fact]
    public void An_unknown_manifest_should_be_refused_saying_which()
    {
        var e = Assert.ThrowsAny<Exception>(() => Sys.Serialization.Deserialize("{}"u8.ToArray(), BudgetSerializer.Id, "reserve-v9"));
        Assert.Contains("reserve-v9", e.GetBaseException().Message, StringComparison.Ordinal);
    }
}
