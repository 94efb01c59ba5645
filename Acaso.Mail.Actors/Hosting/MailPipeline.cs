using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Sending;
using Acaso.Mail.Actors.Settings;
using Akka.Actor;

namespace Acaso.Mail.Actors.Hosting;

/// <summary>
/// The BudgetKeeper, the MailSender pool and the QueueReader wired together in an actor system of the caller's, with
/// no Quartz: whoever holds it sends the ticks. The simulator, the benchmarks and the specs start the real actors this
/// way; the service registers the same actors through Akka.Hosting (<see cref="MailServiceHost"/>).
/// </summary>
public sealed record MailPipeline(IActorRef Keeper, IActorRef Senders, IActorRef Reader)
{
    /// <summary>
    /// Starts the actors and returns once the keeper has read Brevo's credits (it grants nothing before) and the reader
    /// has subscribed to it (so the first tick reaches it).
    /// </summary>
    public static async Task<MailPipeline> StartAsync(ActorSystem system, Func<IMailQueue> queue, IBrevoClient brevo, BrevoResilience resilience,
        BudgetSettings budget, ReaderSettings reader, int parallelism, IBudgetStore? store = null,
        IFailedWindowStore? failedWindows = null, ISentLedger? sentLedger = null)
    {
        var keeper = system.ActorOf(BudgetKeeperActor.Props(budget, brevo, store));
        var senders = system.ActorOf(MailSendersActor.Props(resilience, parallelism));
        var queueReader = system.ActorOf(QueueReaderActor.Props(queue, keeper, senders, reader, failedWindows, sentLedger));
        // The reader subscribes in its PreStart; once it has answered, its Subscribe is ahead of anything sent to the keeper now.
        await queueReader.Ask<QueueProtocol.ReaderStatus>(QueueProtocol.GetStatus.Instance, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        while (!(await keeper.Ask<BudgetProtocol.BudgetStatus>(BudgetProtocol.GetStatus.Instance, TimeSpan.FromSeconds(10)).ConfigureAwait(false)).Started)
        {
            await Task.Delay(10).ConfigureAwait(false);
        }

        return new MailPipeline(keeper, senders, queueReader);
    }
}
