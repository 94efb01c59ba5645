using Acaso.Mail.Actors.Tests.Support;
using static Acaso.Mail.Actors.Tests.Support.ProcessAssertions;

namespace Acaso.Mail.Actors.Tests.Hosting;

/// <summary>
/// The inbox mover's pipelined confirms (a batch published, its confirms awaited once, the originals acked with
/// <c>multiple</c>) keep the durable inbox's guarantee: an original leaves the producer's queue only once its copy is
/// confirmed. A <c>kill -9</c> in the middle of the moves loses nothing; a copy made twice is caught as today.
/// </summary>
[Trait("Loop", "Full")]
public sealed class InboxMoverProcessSpecs() : ProcessSpecs("xkeysib-mover", "inbox-mover")
{
    [Fact]
    public async Task A_kill_9_mid_batch_should_lose_no_mail_and_mark_every_second_copy()
    {
        const int mails = 4000;
        for (var i = 0; i < mails; i++)
        {
            await Publisher.PublishAsync(Mails.Body(i, DateTimeOffset.UtcNow.AddDays(2)), (byte)(1 + i % 200));
        }

        // Nothing is taken from the inbox meanwhile (no window, no urgent lane): what the mover did is all there is to see.
        var environment = Environment(perHour: 12, hourlyCron: "0 0 0 1 1 ? 2099");
        environment["MAIL_URGENT_PRIORITY"] = "256";
        var first = ServiceProcess.Start(environment);
        await Eventually(async () => await RabbitBroker.ReadyIfDeclaredAsync(Queue.Inbox) >= 200, TimeSpan.FromSeconds(60), "the mover to start moving", first);
        first.KillHard();
        await first.WaitForExitAsync(TimeSpan.FromSeconds(10));
        var output = first.Output;
        await first.DisposeAsync();
        // The broker returns what the dead mover had not acked to the producer's queue: moves were under way.
        var moved = await RabbitBroker.ReadyAsync(Queue.Inbox);
        var left = await RabbitBroker.ReadyAsync(Queue.Name);
        Assert.True(left > 0, $"the kill came after every mail was moved ({left} left): the spec needs more mail. Output: {output}");

        await using (var second = ServiceProcess.Start(environment))
        {
            await Eventually(async () => await RabbitBroker.ReadyAsync(Queue.Name) == 0 && await RabbitBroker.ReadyAsync(Queue.Inbox) >= mails - 1,
                TimeSpan.FromSeconds(120), "the rest moved", second);
            second.Terminate();
            Assert.True(await second.WaitForExitAsync(TimeSpan.FromSeconds(30)), second.Output);
        }

        // Every mail is in the inbox. A mail whose copy was confirmed but whose original was not yet acked when the
        // process died is there twice, and its second copy carries the header that makes the reader ask the sent ledger
        // before it sends (as it does for a copy the mover made before this change).
        // (A move under way at the SIGTERM leaves its original in the producer's queue: it is not lost either.)
        var copies = await RabbitBroker.DrainAsync(Queue.Inbox);
        var unmoved = await RabbitBroker.DrainAsync(Queue.Name);
        var byMail = copies.GroupBy(c => Mails.IndexOf(c.Body.Span)).ToList();
        Assert.Equal(Enumerable.Range(0, mails), byMail.Select(g => g.Key).Concat(unmoved.Select(u => Mails.IndexOf(u.Body.Span))).Distinct().Order());
        Assert.All(byMail.Where(g => g.Count() > 1), g =>
        {
            Assert.Equal(2, g.Count());
            Assert.Single(g, c => Acaso.Mail.Actors.Queue.Broker.InboxMover.IsMovedAgain(c.BasicProperties));
        });
        Console.WriteLine($"kill -9 with {moved} copies in the inbox and {left} originals back in the producer's queue; " +
                          $"{byMail.Count(g => g.Count() > 1)} mails copied twice, each second copy marked; {unmoved.Count} not moved at the SIGTERM");
    }
}
