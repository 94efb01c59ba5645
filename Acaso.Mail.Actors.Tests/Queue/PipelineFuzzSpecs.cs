using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Tests.Support;
using Akka.Actor;

namespace Acaso.Mail.Actors.Tests.Queue;

/// <summary>10,000 random and mutated messages through the real actors: the service never stops, and every message is accounted for.</summary>
public sealed class PipelineFuzzSpecs() : StandInSpecs(Akka.Configuration.Config.Empty, credits: 1_000_000)
{

    [Fact]
    public async Task Every_one_of_10000_fuzzed_messages_should_be_sent_or_dead_lettered_with_a_known_reason()
    {
        const int count = 10_000;
        var queue = new InMemoryMailQueue();
        var seeds = new Random(2026);
        for (var i = 0; i < count; i++)
        {
            var seed = seeds.Next();
            queue.Publish(BodyFuzzer.Make(seed), (byte)(seed % 256));
        }

        var pipeline = await Started(TestPipeline.StartAsync(() => queue, TestPipeline.BrevoAt(Brevo.BaseUrl), TestPipeline.Budget(dailyLimit: 1_000_000, perHour: count), Http));
        pipeline.Keeper.Tell(BudgetProtocol.HourlyTick.Instance);
        AwaitCondition(() => queue.Count == 0 && queue.Unacked == 0, TimeSpan.FromMinutes(3), TimeSpan.FromMilliseconds(100));

        var dead = queue.DeadLetters;
        Assert.Equal(count, Brevo.Delivered.Count + dead.Count);
        Assert.All(dead, d => Assert.Contains(d.Reason, RejectReasons.All));
        Assert.InRange(Brevo.Delivered.Count, count / 10, count / 2);
        AwaitAssert(() => Assert.Equal(Brevo.Delivered.Count, pipeline.Sample("mails_sent_total")), TimeSpan.FromSeconds(5));
        AwaitAssert(() => Assert.Equal(dead.Count,
            dead.Select(d => d.Reason).Distinct().Sum(reason => pipeline.Sample("mail_dead_letters_total", $"reason=\"{reason}\""))), TimeSpan.FromSeconds(5));
    }
}
