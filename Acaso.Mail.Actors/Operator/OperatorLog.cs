using System.Text.Json;
using Acaso.Mail.Actors.Delivery;

namespace Acaso.Mail.Actors.Operator;

/// <summary>One change an operator made in the console: what, to what, how many, from which client address.</summary>
/// <param name="At">When.</param>
/// <param name="Action">
/// <c>dead_letters_replayed</c>, <c>dead_letter_discarded</c>, <c>suppression_added</c> or <c>suppression_removed</c>.
/// </param>
/// <param name="Subject">The letter's id, the reason replayed, or the address (personal data: shown only on signed-in pages).</param>
/// <param name="Count">How many letters or addresses it touched.</param>
/// <param name="Client">The client address the change came from.</param>
public sealed record OperatorChange(DateTimeOffset At, string Action, string Subject, int Count, string Client);

/// <summary>
/// The record of operators' changes, kept in the history store (the shared database in a cluster) under a key no
/// e-mail address can have, so it is purged with the histories after <c>MAIL_HISTORY_DAYS</c>.
/// </summary>
public static class OperatorLog
{
    /// <summary>The history store's key for the console's changes (no address has no local part).</summary>
    public const string Key = "@console";

    /// <summary>Records <paramref name="change"/>.</summary>
    public static void Record(IDeliveryStore store, OperatorChange change) =>
        store.Record(new HistoryEntry(change.At, Key, change.Action, new Dictionary<string, object?>
        {
            ["subject"] = change.Subject, ["count"] = change.Count, ["client"] = change.Client,
        }));

    /// <summary>The latest <paramref name="count"/> changes, newest first.</summary>
    public static IReadOnlyList<OperatorChange> Latest(IDeliveryStore store, int count) =>
        store.History(Key).Reverse().Take(count).Select(e => new OperatorChange(e.At, e.Kind, Text(e.Fields, "subject"),
            e.Fields.TryGetValue("count", out var n) && n is JsonElement { ValueKind: JsonValueKind.Number } number ? number.GetInt32() : 0,
            Text(e.Fields, "client"))).ToList();

    private static string Text(IReadOnlyDictionary<string, object?> fields, string name) =>
        fields.TryGetValue(name, out var value) && value is JsonElement { ValueKind: JsonValueKind.String } text ? text.GetString()! : "";
}
