using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Tests.Support;
using Akka.Actor;

namespace Acaso.Mail.Actors.Tests.Queue;

/// <summary>10,000 random and mutated messages through the real actors: the service never stops, and every message is accounted for.</summary>
public sealed class PipelineFuzzSpecs : Akka.TestKit.Xunit2.TestKit, IAsyncLifetime
{
    private BrevoStandIn _brevo = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _brevo = await BrevoStandIn.StartAsync(requiredApiKey: "xkeysib-test", credits: 1_000_000);
        _http = new HttpClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _brevo.DisposeAsync();
    }

    [Fact]
    public void Every_one_of_10000_fuzzed_messages_should_be_sent_or_dead_lettered_with_a_known_reason()
    {
        const int count = 10_000;
        var queue = new InMemoryMailQueue();
        var seeds = new Random(2026);
        for (var i = 0; i < count; i++)
        {
            var seed = seeds.Next();
            queue.Publish(BodyFuzzer.Make(seed), (byte)(seed % 256));
        }

        var pipeline = TestPipeline.Start(Sys, () => queue, TestPipeline.BrevoAt(_brevo.BaseUrl), TestPipeline.Budget(dailyLimit: 1_000_000, perHour: count), _http);
        pipeline.Keeper.Tell(BudgetProtocol.HourlyTick.Instance);
        AwaitCondition(() => queue.Count == 0 && queue.Unacked == 0, TimeSpan.FromMinutes(3), TimeSpan.FromMilliseconds(100));

        var dead = queue.DeadLetters;
        Assert.Equal(count, _brevo.Delivered.Count + dead.Count);
        Assert.All(dead, d => Assert.Contains(d.Reason, RejectReasons.All));
        Assert.InRange(_brevo.Delivered.Count, count / 10, count / 2);
        AwaitAssert(() => Assert.Equal(_brevo.Delivered.Count, pipeline.Sample("mails_sent_total")), TimeSpan.FromSeconds(5));
        AwaitAssert(() => Assert.Equal(dead.Count,
            dead.Select(d => d.Reason).Distinct().Sum(reason => pipeline.Sample("mail_dead_letters_total", $"reason=\"{reason}\""))), TimeSpan.FromSeconds(5));
    }
}
