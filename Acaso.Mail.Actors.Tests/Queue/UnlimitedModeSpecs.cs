using System.Text;
using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Acaso.Mail.Actors.Tests.Queue;

/// <summary>
/// Unlimited mode (paid plans) against the real broker: the queue is consumed with a prefetch as deep as the
/// parallelism, the keeper paces by the second, and still every mail is sent once or dead-lettered.
/// </summary>
public sealed class UnlimitedModeSpecs() : BrokerSpecs("unlimited", credits: 100_000)
{
    private const int Prefetch = 8;

    [Fact]
    public async Task Unlimited_mode_should_send_every_mail_once_and_dead_letter_bad_input_while_consuming_with_a_prefetch()
    {
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < 120; i++)
        {
            await Publisher.PublishAsync(Mails.Body(i, now.AddDays(1 + i % 9)), (byte)(1 + i % 200));
            if (i % 40 == 0)
            {
                await Publisher.PublishAsync(Mails.Utf8("{\"not\": \"a mail\""), 50);
            }
        }

        var budget = TestPipeline.Budget() with { Unlimited = true, RatePerSecond = 40 };
        var pipeline = await Started(TestPipeline.StartAsync(() => new RabbitConsumerQueue(TestQueue, NullLogger<RabbitConsumerQueue>.Instance, Prefetch),
            TestPipeline.BrevoAt(Brevo.BaseUrl), budget, Http));

        AwaitCondition(() => Brevo.Delivered.Count >= 120, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(50));
        AwaitCondition(() => RabbitBroker.ReadyAsync(TestQueue.DeadLetterQueue).Result == 3, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(50));
        AwaitSettled(pipeline);

        var delivered = Brevo.Delivered;
        Assert.Equal(120, delivered.Count);
        Assert.Equal(Enumerable.Range(0, 120), delivered.Select(Mails.IndexOf).Order());
        Assert.Equal(120, delivered.Select(m => m.IdempotencyKey).Distinct().Count());
        Assert.Equal(0u, await RabbitBroker.ReadyAsync(TestQueue.Name));
        var dead = await RabbitBroker.DrainAsync(TestQueue.DeadLetterQueue);
        Assert.All(dead, d => Assert.Equal("invalid_json", Encoding.UTF8.GetString((byte[])d.BasicProperties.Headers!["x-acaso-reason"]!)));
        AwaitAssert(() => Assert.Equal(120, pipeline.Sample("mails_sent_total")));
    }

    [Fact]
    public async Task A_take_with_a_prefetch_should_report_what_still_waits_ready_and_delivered_but_not_yet_taken()
    {
        for (var i = 0; i < 50; i++)
        {
            await Publisher.PublishAsync(Mails.Body(i, DateTimeOffset.UtcNow.AddDays(3)), 100);
        }

        await using var queue = new RabbitConsumerQueue(TestQueue, NullLogger<RabbitConsumerQueue>.Instance, Prefetch);
        await queue.ProbeAsync();
        // The broker hands the consumer its prefetch, then holds the rest as ready.
        AwaitCondition(() => RabbitBroker.ReadyAsync(TestQueue.Name).Result == 50 - Prefetch, TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(20));

        var first = await queue.TakeAsync();
        Assert.NotNull(first);
        // 42 ready on the broker, plus up to 7 delivered here and not yet taken (some may still be on the wire).
        Assert.InRange(first.Remaining, 50u - Prefetch, 49u);

        var last = first;
        for (var taken = 1; taken < 50; taken++)
        {
            await queue.AckAsync(last);
            last = await queue.TakeAsync() ?? await queue.TakeAsync() ?? throw new Xunit.Sdk.XunitException($"the queue ran dry after {taken} takes");
        }

        await queue.AckAsync(last);
        Assert.Equal(0u, await RabbitBroker.ReadyAsync(TestQueue.Name));
        Assert.Null(await queue.TakeAsync());
    }

    [Fact]
    public async Task A_rate_the_queue_never_uses_up_should_still_follow_each_new_window()
    {
        // Windows of a million tokens a second: the reader never runs out within a window, and must still move on to
        // the next one, or every reservation after the first second is refused as window_lapsed.
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < 300; i++)
        {
            await Publisher.PublishAsync(Mails.Body(i, now.AddDays(2)), 100);
        }

        Brevo.Latency = TimeSpan.FromMilliseconds(60);
        var budget = TestPipeline.Budget() with { Unlimited = true, RatePerSecond = 1_000_000 };
        var pipeline = await Started(TestPipeline.StartAsync(() => new RabbitConsumerQueue(TestQueue, NullLogger<RabbitConsumerQueue>.Instance, Prefetch),
            TestPipeline.BrevoAt(Brevo.BaseUrl), budget, Http));

        // 300 sends, at most 8 at a time (the prefetch), 60 ms each: over two seconds, so several windows open while the reader takes.
        AwaitCondition(() => Brevo.Delivered.Count >= 300, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(50));
        AwaitSettled(pipeline);
        Assert.Equal(300, Brevo.Delivered.Select(Mails.IndexOf).Distinct().Count());
        Assert.True(pipeline.Sample("mail_tokens_granted_total", "kind=\"rate\"") >= 2_000_000, "fewer than two windows opened");
    }
}
