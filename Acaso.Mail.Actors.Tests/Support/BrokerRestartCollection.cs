namespace Acaso.Mail.Actors.Tests.Support;

/// <summary>
/// The spec classes that stop, partition or block the shared broker (trait <c>Isolation=BrokerRestart</c>): xunit runs
/// the classes of one collection one after another. In two collections, a broker restart of one class closed the
/// connections of the other's spec mid-publish (<c>CONNECTION_FORCED … 'shutdown'</c>), which failed a full run once.
/// </summary>
[CollectionDefinition(Name)]
public sealed class BrokerRestartCollection
{
    public const string Name = "specs that restart the shared broker";
}
