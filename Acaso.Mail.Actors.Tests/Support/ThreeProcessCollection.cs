namespace Acaso.Mail.Actors.Tests.Support;

/// <summary>
/// The spec classes that keep a machine's two cores busiest for minutes (three service processes on a shared database,
/// or a service process driven by Chromium): xunit runs the classes of one collection one after another, so none of
/// them runs beside another. Their timing-sensitive checks (a window's five most urgent across three nodes, a keeper's
/// write-off, a node that cannot join, the mail left waiting after a partition) failed when two of them ran at once
/// with the rest of the first pass. Every class that starts three nodes belongs here.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ThreeProcessCollection
{
    public const string Name = "busiest process specs";
}
