using System.Text;
using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue.Stores;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Tests.Support;
using Akka.Actor;
using Microsoft.Extensions.Logging.Abstractions;
using static Acaso.Mail.Actors.Budget.BudgetProtocol;

namespace Acaso.Mail.Actors.Tests.Queue;

/// <summary>
/// The reader, keeper and senders against a real RabbitMQ queue declared as the contract says, sending to the
/// Brevo stand-in over HTTP. Ticks are sent by the test.
/// </summary>
public sealed class QueueReaderSpecs() : BrokerSpecs("reader")
{
    private Task<TestPipeline> Start(int perHour = 12, int retries = 3) =>
        Started(TestPipeline.StartAsync(() => new RabbitPullQueue(TestQueue, NullLogger<RabbitPullQueue>.Instance),
            TestPipeline.BrevoAt(Brevo.BaseUrl, retries: retries), TestPipeline.Budget(300, perHour), Http));

    [Fact]
    public async Task QueueReader_should_send_exactly_the_12_most_urgent_of_200_and_then_later_urgent_mail_first()
    {
        var random = new Random(42);
        for (var i = 0; i < 200; i++)
        {
            await PublishAsync(i, (byte)random.Next(1, 201));
        }

        var pipeline = await Start();
        pipeline.Keeper.Tell(HourlyTick.Instance);
        AwaitDelivered(12);
        AwaitSettled(pipeline);
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        var first = Brevo.Delivered.Select(m => PriorityOf[Mails.IndexOf(m)]).OrderByDescending(p => p).ToList();
        Assert.Equal(PriorityOf.Values.OrderByDescending(p => p).Take(12), first);
        Assert.Equal(188u, await RabbitBroker.ReadyAsync(TestQueue.Name));

        for (var i = 200; i < 205; i++)
        {
            await PublishAsync(i, 250);
        }

        pipeline.Keeper.Tell(HourlyTick.Instance);
        AwaitDelivered(24);
        AwaitSettled(pipeline);
        var second = Brevo.Delivered.Skip(12).Select(Mails.IndexOf).ToList();
        Assert.Equal(12, second.Count);
        // The window took the five later, more urgent mails and the seven most urgent of the rest. Each mail is carried by
        // an actor of its own, so within a window they reach Brevo in the order their sends end, not the take order.
        Assert.Equal([200, 201, 202, 203, 204], second.Where(i => i >= 200).Order());
        Assert.Equal(PriorityOf.Where(kv => kv.Key < 200).Select(kv => kv.Value).OrderByDescending(p => p).Skip(12).Take(7),
            second.Where(i => i < 200).Select(i => PriorityOf[i]).OrderByDescending(p => p));
    }

    [Fact]
    public async Task QueueReader_should_dead_letter_bad_input_with_its_reason_and_serve_the_next_message_in_the_window()
    {
        await Publisher.PublishAsync(Encoding.UTF8.GetBytes("{\"template\": 7"), 200);
        await Publisher.PublishAsync(new byte[] { 0x7B, 0xC3, 0x28, 0x7D }, 199);
        // JSON that parses, with a name no string can hold: once it threw out of the parser, now it is refused like any.
        await Publisher.PublishAsync(Encoding.UTF8.GetBytes("{\"template\": 7, \"\\ud800 is half a character\": 1}"), 198);
        await PublishAsync(1, 100);
        await PublishAsync(2, 90);

        var pipeline = await Start(perHour: 2);
        pipeline.Keeper.Tell(HourlyTick.Instance);
        AwaitDelivered(2);
        AwaitSettled(pipeline);

        Assert.Equal([1, 2], Brevo.Delivered.Select(Mails.IndexOf).Order());
        // Each mail is carried by an actor of its own: their dead letters arrive as each one ends, not in take order.
        var dead = (await RabbitBroker.DrainAsync(TestQueue.DeadLetterQueue)).OrderByDescending(d => d.BasicProperties.Priority).ToList();
        Assert.Equal(3, dead.Count);
        Assert.Equal("invalid_json", Encoding.UTF8.GetString((byte[])dead[0].BasicProperties.Headers!["x-acaso-reason"]!));
        Assert.Equal("not_utf8", Encoding.UTF8.GetString((byte[])dead[1].BasicProperties.Headers!["x-acaso-reason"]!));
        Assert.Equal("invalid_json", Encoding.UTF8.GetString((byte[])dead[2].BasicProperties.Headers!["x-acaso-reason"]!));
        Assert.Equal("a property name at the top level holds an unpaired UTF-16 surrogate escape",
            Encoding.UTF8.GetString((byte[])dead[2].BasicProperties.Headers!["x-acaso-detail"]!));
        Assert.False(string.IsNullOrEmpty(Encoding.UTF8.GetString((byte[])dead[0].BasicProperties.Headers!["x-acaso-detail"]!)));
        Assert.Equal("{\"template\": 7", Encoding.UTF8.GetString(dead[0].Body.Span));
        Assert.Equal(200, dead[0].BasicProperties.Priority);
        Assert.Equal(0u, await RabbitBroker.ReadyAsync(TestQueue.Name));
        AwaitAssert(() => Assert.Equal(3, pipeline.Sample("mail_dead_letters_total", "reason=\"invalid_json\"") + pipeline.Sample("mail_dead_letters_total", "reason=\"not_utf8\"")));
    }

    [Fact]
    public async Task MailSender_should_retry_a_500_and_send()
    {
        await PublishAsync(1, 100);
        Brevo.Script(new ScriptedAnswer(500, "internal_error"), new ScriptedAnswer(503, "unavailable"));
        var pipeline = await Start();
        pipeline.Keeper.Tell(HourlyTick.Instance);
        AwaitDelivered(1);
        AwaitSettled(pipeline);
        Assert.Equal(3, Brevo.Requests);
        AwaitAssert(() => Assert.Equal(2, pipeline.Sample("mail_send_retries_total", "reason=\"server_error\"")));
        AwaitAssert(() => Assert.Equal(1, pipeline.Sample("mails_sent_total")));
        Assert.Equal(0u, await RabbitBroker.ReadyAsync(TestQueue.Name));
    }

    [Fact]
    public async Task MailSender_should_wait_for_the_rate_limit_reset_on_429()
    {
        await PublishAsync(1, 100);
        Brevo.Script(new ScriptedAnswer(429, "too_many_requests", RateLimitReset: 2));
        var pipeline = await Start();
        var started = DateTimeOffset.UtcNow;
        pipeline.Keeper.Tell(HourlyTick.Instance);
        AwaitDelivered(1);
        // A lower bound only: the retry must not come before Brevo's reset (a slow machine only makes it later).
        Assert.True(DateTimeOffset.UtcNow - started >= TimeSpan.FromSeconds(1.9), "the retry came before x-sib-ratelimit-reset");
        Assert.Equal(2, Brevo.Requests);
        AwaitAssert(() => Assert.Equal(1, pipeline.Sample("mail_send_retries_total", "reason=\"rate_limited\"")));
    }

    [Fact]
    public async Task MailSender_should_dead_letter_a_400_with_Brevos_code_and_go_on()
    {
        await PublishAsync(1, 100);
        await PublishAsync(2, 90);
        Brevo.Script(new ScriptedAnswer(400, "invalid_parameter"));
        var pipeline = await Start(perHour: 1);
        pipeline.Keeper.Tell(HourlyTick.Instance);
        AwaitDelivered(1);
        AwaitSettled(pipeline);

        Assert.Equal([2], Brevo.Delivered.Select(Mails.IndexOf));
        var dead = Assert.Single(await RabbitBroker.DrainAsync(TestQueue.DeadLetterQueue));
        Assert.Equal("brevo_invalid_parameter", Encoding.UTF8.GetString((byte[])dead.BasicProperties.Headers!["x-acaso-reason"]!));
        AwaitAssert(() => Assert.Equal(1, pipeline.Sample("mails_fails_total")));
    }

    [Fact]
    public async Task MailSender_should_count_a_duplicate_idempotency_key_as_sent_and_mail_once()
    {
        // The same message twice (as after a crash between send and ack): the same key, one mail.
        await PublishAsync(1, 100);
        await PublishAsync(1, 100);
        var pipeline = await Start(perHour: 2);
        pipeline.Keeper.Tell(HourlyTick.Instance);
        AwaitCondition(() => Brevo.Requests == 2, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(20));
        AwaitSettled(pipeline);

        Assert.Single(Brevo.Delivered);
        Assert.Equal(0u, await RabbitBroker.ReadyAsync(TestQueue.Name));
        AwaitAssert(() => Assert.Equal(2, pipeline.Sample("mails_sent_total")));
    }

    [Fact]
    public async Task A_mail_whose_retries_are_exhausted_should_stay_queued_at_its_priority_for_a_later_window()
    {
        await PublishAsync(1, 150);
        await PublishAsync(2, 90);
        Brevo.Script(Enumerable.Repeat(new ScriptedAnswer(502, "bad_gateway"), 3).ToArray());
        var pipeline = await Start(perHour: 1, retries: 2);
        pipeline.Keeper.Tell(HourlyTick.Instance);
        AwaitCondition(() => Brevo.Requests == 3, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(20));
        AwaitSettled(pipeline);
        ExpectNoMsg(TimeSpan.FromMilliseconds(500));

        Assert.Empty(Brevo.Delivered);
        Assert.Equal(2u, await RabbitBroker.ReadyAsync(TestQueue.Name));
        AwaitAssert(() => Assert.Equal(1, pipeline.Sample("mail_send_failures_total", "reason=\"server_error\"", "requeued=\"true\"")));

        // The next window: Brevo is back, and the requeued mail is still the most urgent.
        pipeline.Keeper.Tell(HourlyTick.Instance);
        AwaitDelivered(1);
        AwaitSettled(pipeline);
        Assert.Equal([1], Brevo.Delivered.Select(Mails.IndexOf));
        Assert.Equal(1u, await RabbitBroker.ReadyAsync(TestQueue.Name));
    }

    [Fact]
    public async Task A_message_without_a_priority_should_be_dead_lettered_as_invalid_priority()
    {
        // No priority sorts last (as 0), after every mail the producer sent.
        await Publisher.PublishAsync(Mails.Body(7, SpecStart.AddDays(2)), priority: null);
        await PublishAsync(1, 10);
        var pipeline = await Start(perHour: 2);
        pipeline.Keeper.Tell(HourlyTick.Instance);
        AwaitDelivered(1);
        AwaitCondition(() => RabbitBroker.ReadyAsync(TestQueue.DeadLetterQueue).Result == 1, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(20));

        Assert.Equal([1], Brevo.Delivered.Select(Mails.IndexOf));
        var dead = Assert.Single(await RabbitBroker.DrainAsync(TestQueue.DeadLetterQueue));
        Assert.Equal("invalid_priority", Encoding.UTF8.GetString((byte[])dead.BasicProperties.Headers!["x-acaso-reason"]!));
    }

    [Fact]
    public async Task A_mail_Brevo_keeps_failing_on_should_be_dead_lettered_as_transient_exhausted_after_the_set_windows()
    {
        await PublishAsync(1, 100);
        Brevo.Script(Enumerable.Repeat(new ScriptedAnswer(500, "internal_error"), 4).ToArray());
        var pipeline = await Started(TestPipeline.StartAsync(() => new RabbitPullQueue(TestQueue, NullLogger<RabbitPullQueue>.Instance),
            TestPipeline.BrevoAt(Brevo.BaseUrl, retries: 1), TestPipeline.Budget(), Http, maxFailedWindows: 2));

        pipeline.Keeper.Tell(HourlyTick.Instance);
        AwaitCondition(() => Brevo.Requests == 2, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(20));
        AwaitSettled(pipeline);
        Assert.Equal(1u, await RabbitBroker.ReadyAsync(TestQueue.Name));

        pipeline.Keeper.Tell(HourlyTick.Instance);
        AwaitCondition(() => Brevo.Requests == 4, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(20));
        AwaitSettled(pipeline);
        Assert.Equal(0u, await RabbitBroker.ReadyAsync(TestQueue.Name));
        var dead = Assert.Single(await RabbitBroker.DrainAsync(TestQueue.DeadLetterQueue));
        Assert.Equal("transient_exhausted", Encoding.UTF8.GetString((byte[])dead.BasicProperties.Headers!["x-acaso-reason"]!));
        Assert.Equal(100, dead.BasicProperties.Priority);
    }

    [Fact]
    public async Task The_count_of_failed_windows_should_survive_a_restart_of_the_reader()
    {
        using var state = new TempStateDir();
        var stateDir = state.Path;
        await PublishAsync(1, 100);
        Brevo.Script(Enumerable.Repeat(new ScriptedAnswer(500, "internal_error"), 4).ToArray());
        Task<TestPipeline> StartWithStore() =>
            Started(TestPipeline.StartAsync(() => new RabbitPullQueue(TestQueue, NullLogger<RabbitPullQueue>.Instance),
                TestPipeline.BrevoAt(Brevo.BaseUrl, retries: 1), TestPipeline.Budget(), Http, maxFailedWindows: 2,
                failedWindows: new SqliteFailedWindowStore(stateDir)));

        // First incarnation: one failed window, the mail goes back to the queue.
        var first = await StartWithStore();
        first.Keeper.Tell(HourlyTick.Instance);
        AwaitCondition(() => Brevo.Requests == 2, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(20));
        AwaitSettled(first);
        Assert.Equal(1u, await RabbitBroker.ReadyAsync(TestQueue.Name));
        await StopAsync(first);

        // Second incarnation, as after a restart of the service: its second failed window is the last one.
        var second = await StartWithStore();
        second.Keeper.Tell(HourlyTick.Instance);
        AwaitCondition(() => Brevo.Requests == 4, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(20));
        AwaitSettled(second);
        Assert.Equal(0u, await RabbitBroker.ReadyAsync(TestQueue.Name));
        var dead = Assert.Single(await RabbitBroker.DrainAsync(TestQueue.DeadLetterQueue));
        Assert.Equal("transient_exhausted", Encoding.UTF8.GetString((byte[])dead.BasicProperties.Headers!["x-acaso-reason"]!));
        Assert.Contains("2 windows", Encoding.UTF8.GetString((byte[])dead.BasicProperties.Headers!["x-acaso-detail"]!));
    }

    [Fact]
    public async Task A_redelivered_mail_Brevo_already_accepted_should_be_acked_without_a_second_send()
    {
        using var state = new TempStateDir();
        var stateDir = state.Path;
        var ledger = new SqliteSentLedger(stateDir);
        Guid KeyOf(int index, byte priority) =>
            Acaso.Mail.Actors.Contract.MailRequestParser.Parse(Mails.Body(index, SpecStart.AddDays(3)), priority, SpecStart).Request!.IdempotencyKey;

        // Mail 1 was accepted by Brevo, then the service died before its ack; mail 2 was taken but never sent.
        await PublishAsync(1, 100);
        await PublishAsync(2, 90);
        await ledger.RecordAsync(KeyOf(1, 100), default);
        await using (var connection = await RabbitBroker.ConnectAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            Assert.NotNull(await channel.BasicGetAsync(TestQueue.Name, autoAck: false));
            Assert.NotNull(await channel.BasicGetAsync(TestQueue.Name, autoAck: false));
        }

        // Mail 3 has a key the ledger knows but is a fresh publish, not a redelivery: it is sent.
        await PublishAsync(3, 80);
        await ledger.RecordAsync(KeyOf(3, 80), default);

        var pipeline = await Started(TestPipeline.StartAsync(() => new RabbitPullQueue(TestQueue, NullLogger<RabbitPullQueue>.Instance),
            TestPipeline.BrevoAt(Brevo.BaseUrl), TestPipeline.Budget(300, 2), Http, sentLedger: new SqliteSentLedger(stateDir)));
        pipeline.Keeper.Tell(HourlyTick.Instance);
        AwaitDelivered(2);
        AwaitCondition(() => RabbitBroker.ReadyAsync(TestQueue.Name).Result == 0, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(20));
        AwaitSettled(pipeline);

        // Two tokens: the mail already sent took none of them.
        Assert.Equal([2, 3], Brevo.Delivered.Select(Mails.IndexOf).Order());
        AwaitAssert(() => Assert.Equal(1, pipeline.Sample("mail_already_sent_total")));
        Assert.Equal(0u, await RabbitBroker.ReadyAsync(TestQueue.DeadLetterQueue));
        Assert.True(await ledger.ContainsAsync(KeyOf(2, 90), default));
    }

    [Fact]
    public async Task A_sent_ledger_that_fails_should_keep_the_mail_in_flight_and_ack_it_once_written()
    {
        using var state = new TempStateDir();
        var ledger = new FlakySentLedger(new SqliteSentLedger(state.Path), failures: 3);
        for (var i = 0; i < 3; i++)
        {
            await PublishAsync(i, 100);
        }

        var pipeline = await Started(TestPipeline.StartAsync(() => new RabbitPullQueue(TestQueue, NullLogger<RabbitPullQueue>.Instance),
            TestPipeline.BrevoAt(Brevo.BaseUrl), TestPipeline.Budget(300, 3), Http, sentLedger: ledger));
        pipeline.Keeper.Tell(HourlyTick.Instance);
        AwaitDelivered(3);
        // The ledger refused the first writes: the mail waits in flight, unacked, until its row is written.
        AwaitCondition(() => RabbitBroker.ReadyAsync(TestQueue.Name).Result == 0, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(20));
        AwaitSettled(pipeline);

        Assert.Equal(3, ledger.Failed);
        Assert.Equal([0, 1, 2], Brevo.Delivered.Select(Mails.IndexOf).Order());
        Assert.Equal(3, Brevo.Requests);
        Assert.Equal(0u, await RabbitBroker.ReadyAsync(TestQueue.DeadLetterQueue));
        // Nothing went back to the queue to be taken again: every take was a first delivery, and the reader never restarted.
        Assert.Equal(0, pipeline.Sample("mail_taken_total", "redelivered=\"true\""));
        var status = await pipeline.Keeper.Ask<BudgetStatus>(BudgetProtocol.GetStatus.Instance, TimeSpan.FromSeconds(5));
        Assert.Equal((3, 0), (status.Spent, status.InFlight));
    }

    [Fact]
    public async Task A_send_refused_as_a_duplicate_of_another_sends_key_should_give_its_token_back_to_the_window()
    {
        // The same mail twice (another node sent it and died before its ack), then another: a window of two sends both.
        await PublishAsync(1, 100);
        await PublishAsync(1, 100);
        await PublishAsync(2, 90);
        var pipeline = await Start(perHour: 2);
        pipeline.Keeper.Tell(HourlyTick.Instance);
        AwaitDelivered(2);
        AwaitSettled(pipeline);

        Assert.Equal([1, 2], Brevo.Delivered.Select(Mails.IndexOf).Order());
        Assert.Equal(1, Brevo.DuplicatesRefused);
        // The day counts what Brevo charged: two, not three.
        var status = await pipeline.Keeper.Ask<BudgetStatus>(BudgetProtocol.GetStatus.Instance, TimeSpan.FromSeconds(5));
        Assert.Equal((2, 0), (status.Spent, status.InFlight));
        Assert.Equal(0u, await RabbitBroker.ReadyAsync(TestQueue.Name));
    }

    /// <summary>A sent ledger whose first <c>failures</c> writes throw, as PostgreSQL does while it restarts.</summary>
    private sealed class FlakySentLedger(ISentLedger inner, int failures) : ISentLedger
    {
        private int _failed;

        public int Failed => Volatile.Read(ref _failed);

        public Task<bool> ContainsAsync(Guid key, CancellationToken cancellation) => inner.ContainsAsync(key, cancellation);

        public Task RecordAsync(Guid key, CancellationToken cancellation)
        {
            if (Interlocked.Increment(ref _failed) <= failures)
            {
                throw new InvalidOperationException("57P01: terminating connection due to administrator command");
            }

            Interlocked.Exchange(ref _failed, failures);
            return inner.RecordAsync(key, cancellation);
        }
    }

    private static async Task StopAsync(TestPipeline pipeline)
    {
        await pipeline.Reader.GracefulStop(TimeSpan.FromSeconds(10));
        await pipeline.Senders.GracefulStop(TimeSpan.FromSeconds(10));
        await pipeline.Keeper.GracefulStop(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_rejected_api_key_should_keep_the_mail_queued_not_dead_lettered()
    {
        await PublishAsync(1, 100);
        var pipeline = await Started(TestPipeline.StartAsync(() => new RabbitPullQueue(TestQueue, NullLogger<RabbitPullQueue>.Instance),
            TestPipeline.BrevoAt(Brevo.BaseUrl, key: "xkeysib-revoked"), TestPipeline.Budget(), Http));
        pipeline.Keeper.Tell(HourlyTick.Instance);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Brevo.Requests == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.True(Brevo.Requests >= 1,
            $"no send reached Brevo; the reader: {await pipeline.Reader.Ask<QueueProtocol.ReaderStatus>(QueueProtocol.GetStatus.Instance)}, " +
            $"the keeper: {await pipeline.Keeper.Ask<BudgetStatus>(GetStatus.Instance)}, ready: {await RabbitBroker.ReadyAsync(TestQueue.Name)}");
        AwaitSettled(pipeline);

        // Once refused, the window waits: no second attempt.
        Assert.Equal(1, Brevo.Requests);
        Assert.Equal(1u, await RabbitBroker.ReadyAsync(TestQueue.Name));
        Assert.Empty(await RabbitBroker.DrainAsync(TestQueue.DeadLetterQueue));
        var status = await pipeline.Keeper.Ask<BudgetStatus>(GetStatus.Instance);
        Assert.Equal(0, status.Spent);
    }
}

/// <summary>Brevo faults over several windows, against the real broker: nothing lost, nothing mailed twice.</summary>
public sealed class BrevoFaultSpecs() : BrokerSpecs("faults")
{
    [Fact]
    public async Task Brevo_down_for_several_windows_should_lose_no_mail_and_send_each_once_when_it_is_back()
    {
        for (var i = 0; i < 6; i++)
        {
            await Publisher.PublishAsync(Mails.Body(i, DateTimeOffset.UtcNow.AddDays(2)), (byte)(100 + i));
        }

        var url = Brevo.BaseUrl;
        await Brevo.DisposeAsync();
        // Brevo is down: its port refuses connections, and stays ours.
        var down = ClosedPort.Hold(url.Port);
        var pipeline = await Started(TestPipeline.StartAsync(() => new RabbitPullQueue(TestQueue, NullLogger<RabbitPullQueue>.Instance),
            TestPipeline.BrevoAt(url, retries: 1), TestPipeline.Budget(perHour: 4), Http));

        // Three windows with Brevo refusing connections: every mail stays queued.
        for (var window = 0; window < 3; window++)
        {
            pipeline.Keeper.Tell(HourlyTick.Instance);
            await Task.Delay(300);
            AwaitSettled(pipeline);
            Assert.Equal(6u, await RabbitBroker.ReadyAsync(TestQueue.Name));
        }

        AwaitAssert(() => Assert.True(pipeline.Sample("mail_send_failures_total", "reason=\"connection_failed\"", "requeued=\"true\"")
            + pipeline.Sample("mail_send_failures_total", "reason=\"circuit_open\"", "requeued=\"true\"") >= 3));
        Assert.Equal(0, (await pipeline.Keeper.Ask<BudgetStatus>(GetStatus.Instance)).Spent);

        // Brevo is back on the same address; the circuit closes after its break, and the windows drain the queue.
        down.Dispose();
        Brevo = await BrevoStandIn.StartAsync(port: url.Port, requiredApiKey: ApiKey);
        await Task.Delay(TimeSpan.FromSeconds(2.2));
        for (var window = 0; window < 8 && Brevo.Delivered.Count < 6; window++)
        {
            pipeline.Keeper.Tell(HourlyTick.Instance);
            await Task.Delay(300);
            AwaitSettled(pipeline);
        }

        Assert.Equal(6, Brevo.Delivered.Count);
        Assert.Equal(6, Brevo.Delivered.Select(m => m.IdempotencyKey).Distinct().Count());
        Assert.Equal(0u, await RabbitBroker.ReadyAsync(TestQueue.Name));
        Assert.Empty(await RabbitBroker.DrainAsync(TestQueue.DeadLetterQueue));
    }

    [Fact]
    public async Task A_timed_out_send_that_went_through_should_be_mailed_once_and_spend_one_token()
    {
        await Publisher.PublishAsync(Mails.Body(1, DateTimeOffset.UtcNow.AddDays(2)), 150);
        // Brevo takes the mail, then answers too late: the retry carries the same key and gets duplicate_parameter.
        Brevo.Script(new ScriptedAnswer(201, Delay: TimeSpan.FromSeconds(3), AcceptFirst: true));
        var pipeline = await Started(TestPipeline.StartAsync(() => new RabbitPullQueue(TestQueue, NullLogger<RabbitPullQueue>.Instance),
            TestPipeline.BrevoAt(Brevo.BaseUrl, attemptTimeout: TimeSpan.FromSeconds(1)), TestPipeline.Budget(), Http));
        pipeline.Keeper.Tell(HourlyTick.Instance);
        AwaitCondition(() => Brevo.Requests >= 2, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(20));
        AwaitSettled(pipeline);

        Assert.Single(Brevo.Delivered);
        Assert.Equal(0u, await RabbitBroker.ReadyAsync(TestQueue.Name));
        Assert.Equal(1, (await pipeline.Keeper.Ask<BudgetStatus>(GetStatus.Instance)).Spent);
        AwaitAssert(() => Assert.True(pipeline.Sample("mail_send_retries_total", "reason=\"timeout\"") >= 1));
        AwaitAssert(() => Assert.Equal(1, pipeline.Sample("mails_sent_total")));
    }
}
