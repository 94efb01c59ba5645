using Acaso.Mail.Actors.Budget;
using Akka.Actor;

namespace Acaso.Mail.Actors.Queue.Leases;

/// <summary>
/// One token's settle with the keeper, a child of the <see cref="LeaseHolderActor"/> that told it once: sent again with
/// the holder as its sender (the keeper knows the lease by the holder's path) every
/// <see cref="LeaseProtocol.KeeperAnswerTimeout"/> until the keeper says <see cref="BudgetProtocol.Settled"/>, which the
/// holder hands it by its name. A settle sent to a keeper that is moving to another node is lost, and a token never
/// settled would count against the day; the keeper counts a settle sent twice once.
/// </summary>
public sealed class TokenSettleActor : ReceiveActor, IWithTimers
{
    private const string AgainTimer = "again";

    private readonly IActorRef _keeper;
    private readonly BudgetProtocol.Settle _settle;

    /// <summary>Settles <paramref name="settle"/> with <paramref name="keeper"/> on behalf of the parent holder.</summary>
    public TokenSettleActor(IActorRef keeper, BudgetProtocol.Settle settle)
    {
        _keeper = keeper;
        _settle = settle;
        Receive<BudgetProtocol.Settled>(_ =>
        {
            Context.Parent.Tell(Acknowledged.Instance);
            Context.Stop(Self);
        });
        Receive<Again>(_ => _keeper.Tell(_settle, Context.Parent));
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The actor's name under the holder, from the token's tag.</summary>
    public static string NameOf(ulong tag) => "settle-" + tag.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Props for the settle of one token.</summary>
    public static Props Props(IActorRef keeper, BudgetProtocol.Settle settle) =>
        Akka.Actor.Props.Create(() => new TokenSettleActor(keeper, settle));

    /// <inheritdoc />
    protected override void PreStart() => Timers.StartPeriodicTimer(AgainTimer, Again.Instance, LeaseProtocol.KeeperAnswerTimeout);

    /// <summary>Told to the holder: the keeper acknowledged the settle, and this actor has ended.</summary>
    public sealed record Acknowledged
    {
        public static readonly Acknowledged Instance = new();
    }

    private sealed record Again : INoSerializationVerificationNeeded, Akka.Event.IDeadLetterSuppression
    {
        public static readonly Again Instance = new();
    }
}
