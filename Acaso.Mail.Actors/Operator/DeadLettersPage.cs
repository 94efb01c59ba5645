using System.Text;
using Acaso.Mail.Actors.Queue.Broker;
using static Acaso.Mail.Actors.Operator.ConsoleHtml;

namespace Acaso.Mail.Actors.Operator;

/// <summary>
/// <c>/console/dead-letters</c>: every letter with its reason, detail, priority, template and time, filtered by reason;
/// replay one or every letter of a reason, or discard one, each after a confirmation page. The same
/// <see cref="DeadLetterQueue"/> calls as the <c>dead-letters</c> command.
/// </summary>
public static class DeadLettersPage
{
    /// <summary>The confirmable actions: replay one, replay a reason, discard one.</summary>
    public static readonly IReadOnlyList<string> Actions = ["replay", "replay-reason", "discard"];

    /// <summary>The list, with the flash of the last change.</summary>
    public static async Task<IResult> RenderAsync(ConsoleServices console, ConsoleText text, ConsoleSession session, string? reason, string? done)
    {
        var body = new StringBuilder(Flash(text, done));
        IReadOnlyList<DeadLetterEntry> letters;
        try
        {
            letters = await console.DeadLetters.ListAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is RabbitMQ.Client.Exceptions.BrokerUnreachableException or RabbitMQ.Client.Exceptions.OperationInterruptedException
                                       or IOException or TimeoutException)
        {
            body.Append($"<p class=\"error\" role=\"alert\">{E(text["The broker cannot be reached: try again in a moment."])}</p>");
            return Page(text, text["Dead letters"], "Dead letters", session, body.ToString(), 503);
        }

        var reasons = letters.GroupBy(l => l.Reason).OrderByDescending(g => g.Count()).Select(g => (Reason: g.Key, Count: g.Count())).ToList();
        body.Append($"""<p><strong data-count="letters">{letters.Count}</strong> {E(text.Count(letters.Count, "letter in the queue", "letters in the queue"))}</p>""");
        body.Append($"""<form method="get" action="/console/dead-letters" class="row"><div><label for="reason">{E(text["Reason"])}</label><select id="reason" name="reason"><option value="">{E(text["All reasons"])}</option>""");
        foreach (var (name, count) in reasons)
        {
            body.Append($"""<option value="{E(name)}"{(name == reason ? " selected" : "")}>{E(name)} ({count})</option>""");
        }

        body.Append($"""</select></div><button type="submit">{E(text["Filter"])}</button></form>""");
        if (!string.IsNullOrEmpty(reason) && reasons.Any(r => r.Reason == reason))
        {
            body.Append($"""<p><a class="button" id="replay-reason" href="/console/dead-letters/confirm?action=replay-reason&amp;reason={Uri.EscapeDataString(reason)}">{E(text["Replay every letter of this reason"])}</a></p>""");
        }

        var shown = letters.Where(l => string.IsNullOrEmpty(reason) || l.Reason == reason).Reverse().ToList();
        body.Append(Table(text, ["When", "Reason", "Detail", "Priority", "Template", "Recipient", ""], shown.Select(l => (IReadOnlyList<string>)
        [
            E(l.At is { } at ? text.When(at, console.Settings.Budget.Zone) : "?"), E(l.Reason), E(l.Detail), E(l.Priority), E(l.Template?.ToString() ?? "-"),
            E(l.Recipient ?? "-"),
            $"""<a href="/console/dead-letters/confirm?action=replay&amp;id={l.Id}" data-replay="{l.Id}">{E(text["Replay"])}</a> · <a href="/console/dead-letters/confirm?action=discard&amp;id={l.Id}" data-discard="{l.Id}">{E(text["Discard"])}</a>""",
        ]), "dead-letters"));
        return Page(text, text["Dead letters"], "Dead letters", session, body.ToString());
    }

    /// <summary>The confirmation of <paramref name="action"/>: a form that posts it, and a way back.</summary>
    public static IResult Confirm(ConsoleText text, ConsoleSession session, string action, string? id, string? reason)
    {
        var (question, target, field, value) = action switch
        {
            "replay" => ("Replay this letter? It goes back to the queue with its priority and is sent when a token allows.", "/console/dead-letters/replay", "id", id),
            "discard" => ("Discard this letter for good? It will not be sent.", "/console/dead-letters/discard", "id", id),
            _ => ("Replay every letter of this reason? They go back to the queue with their priorities.", "/console/dead-letters/replay-reason", "reason", reason),
        };
        var body = $"""
            <p>{E(text[question])}</p><p><code>{E(value)}</code></p>
            <form method="post" action="{target}" class="row">{Csrf(session)}<input type="hidden" name="{field}" value="{E(value)}">
            <button type="submit" id="confirm"{(action == "discard" ? " class=\"danger\"" : "")} autofocus>{E(text["Confirm"])}</button>
            <a class="button" href="/console/dead-letters">{E(text["Cancel"])}</a></form>
            """;
        return Page(text, text["Dead letters"], "Dead letters", session, body);
    }

    private static string Flash(ConsoleText text, string? done) => done?.Split(':', 2) switch
    {
        ["replayed", var n] => $"""<p class="flash" role="status">{E(n)} {E(text["letters replayed"])}</p>""",
        ["discarded", _] => $"""<p class="flash" role="status">1 {E(text["letter discarded"])}</p>""",
        ["missing", _] => $"""<p class="error" role="alert">{E(text["No such letter: it was replayed or discarded already."])}</p>""",
        _ => "",
    };
}
