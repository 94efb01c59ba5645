using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Sending;
using Acaso.Mail.Actors.Tests.Support;
using Akka.Actor;
using static Acaso.Mail.Actors.Sending.SendingProtocol;

namespace Acaso.Mail.Actors.Tests.Sending;

/// <summary>The MailSender pool and its supervision, sending over HTTP to the Brevo stand-in on loopback.</summary>
public sealed class MailSendersSpecs() : StandInSpecs(Akka.Configuration.Config.Empty)
{
    private static readonly DateTimeOffset Published = DateTimeOffset.UtcNow;

    private static byte[] Rendered(int index) =>
        BrevoRequestRenderer.Render(MailRequestParser.Parse(Mails.Body(index, Published.AddDays(2)), 150, Published).Request!, Mails.Render);

    private IActorRef Pool(int parallelism, int retries = 3) =>
        Sys.ActorOf(MailSendersActor.Props(new BrevoResilience(new BrevoClient(Http, TestPipeline.BrevoAt(Brevo.BaseUrl, retries: retries)),
            TestPipeline.BrevoAt(Brevo.BaseUrl, retries: retries)), parallelism), "mail-senders");

    [Fact]
    public void Every_send_should_be_answered_to_whoever_asked_with_its_own_tag()
    {
        var pool = Pool(parallelism: 3);
        for (var i = 0; i < 8; i++)
        {
            pool.Tell(new SendMail((ulong)i, Rendered(i)));
        }

        var answers = Enumerable.Range(0, 8).Select(_ => ExpectMsg<SendCompleted>(TimeSpan.FromSeconds(20))).ToList();
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (ulong)i), answers.Select(a => a.Tag).Order());
        Assert.All(answers, a => Assert.IsType<Sent>(a.Outcome));
        Assert.Equal(Enumerable.Range(0, 8), Brevo.Delivered.Select(Mails.IndexOf).Order());
    }

    [Fact]
    public void A_send_should_retry_transient_answers_and_report_how_many_attempts_it_took()
    {
        Brevo.Script(new ScriptedAnswer(503, "service_unavailable"), new ScriptedAnswer(500, "internal_error"));
        var pool = Pool(parallelism: 1);
        pool.Tell(new SendMail(7, Rendered(7)));

        var answer = ExpectMsg<SendCompleted>(TimeSpan.FromSeconds(20));
        Assert.IsType<Sent>(answer.Outcome);
        Assert.Equal(3, answer.Attempts);
        Assert.Equal(3, Brevo.Requests);
        Assert.Single(Brevo.Delivered);
    }

    [Fact]
    public async Task A_sender_restarted_by_its_supervisor_mid_send_should_still_report_that_send_and_serve_the_next()
    {
        Brevo.Latency = TimeSpan.FromSeconds(1);
        var pool = Pool(parallelism: 1);
        Watch(pool);
        pool.Tell(new SendMail(1, Rendered(1)));
        AwaitCondition(() => Brevo.Requests == 1, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(10));

        // Kill makes the sender throw ActorKilledException: the pool's strategy restarts it.
        var sender = await Sys.ActorSelection(pool.Path / "sender-0").ResolveOne(TimeSpan.FromSeconds(3));
        Watch(sender);
        sender.Tell(Kill.Instance);

        var first = ExpectMsg<SendCompleted>(TimeSpan.FromSeconds(20));
        Assert.Equal(1ul, first.Tag);
        Assert.IsType<Sent>(first.Outcome);

        pool.Tell(new SendMail(2, Rendered(2)));
        var second = ExpectMsg<SendCompleted>(TimeSpan.FromSeconds(20));
        Assert.Equal(2ul, second.Tag);
        Assert.IsType<Sent>(second.Outcome);
        // Restarted, not stopped: neither the sender nor the pool terminated.
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal([1, 2], Brevo.Delivered.Select(Mails.IndexOf).Order());
    }
}
