using System.Text;
using System.Text.Json;
using Acaso.Mail.Actors.Delivery;
using static Acaso.Mail.Actors.Operator.ConsoleHtml;

namespace Acaso.Mail.Actors.Operator;

/// <summary>
/// <c>/console/suppressions</c>: search the list, add an address with a reason, remove one; the store the
/// <c>suppressions</c> command uses (the shared database in a cluster).
/// </summary>
public static class SuppressionsPage
{
    /// <summary>How many addresses a page shows.</summary>
    public const int PageSize = 100;

    /// <summary>
    /// A page of the list (<paramref name="page"/> from 1), filtered in the store by <paramref name="query"/> (a part of
    /// the address), newest first, with the flash of the last change.
    /// </summary>
    public static async Task<IResult> RenderAsync(ConsoleServices console, ConsoleText text, ConsoleSession session, string? query, int page, string? done,
        CancellationToken cancellation)
    {
        var part = query?.Trim() ?? "";
        var search = await console.Store.SearchSuppressionsAsync(part, Math.Max(page, 1) - 1, PageSize, cancellation).ConfigureAwait(false);
        var pages = Math.Max(1, (search.Matching + PageSize - 1) / PageSize);
        page = Math.Clamp(page, 1, pages);
        var body = new StringBuilder(done?.Split(':', 2) switch
        {
            ["added", var email] => $"""<p class="flash" role="status">{E(email)} {E(text["added"])}</p>""",
            ["removed", var email] => $"""<p class="flash" role="status">{E(email)} {E(text["removed"])}</p>""",
            ["invalid", _] => $"""<p class="error" role="alert">{E(text["That is not an e-mail address."])}</p>""",
            ["absent", _] => $"""<p class="error" role="alert">{E(text["The address was not on the list."])}</p>""",
            _ => "",
        });
        body.Append($"""<p><strong data-count="suppressions">{search.Total}</strong> {E(text.Count(search.Total, "suppressed address", "suppressed addresses"))}</p>""");
        body.Append($"""
            <form method="get" action="/console/suppressions" class="row" role="search"><div><label for="q">{E(text["Address"])}</label>
            <input id="q" name="q" type="search" value="{E(query)}" autocomplete="off"></div><button type="submit">{E(text["Search"])}</button></form>
            """);
        body.Append(Table(text, ["Address", "Reason", "Since", "Source", ""], search.Page.Select(s => (IReadOnlyList<string>)
        [
            E(s.Email), E(s.Reason), E(text.When(s.At, console.Settings.Budget.Zone)), E(s.Source),
            $"""<form method="post" action="/console/suppressions/remove" class="inline">{Csrf(session)}<input type="hidden" name="email" value="{E(s.Email)}"><button type="submit" class="danger" aria-label="{E(text["Remove"])} {E(s.Email)}">{E(text["Remove"])}</button></form>""",
        ]), "suppressions"));
        if (pages > 1)
        {
            string Link(int to, string label) =>
                $"""<a href="/console/suppressions?q={Uri.EscapeDataString(part)}&amp;page={to}" rel="{(to < page ? "prev" : "next")}">{E(text[label])}</a>""";
            body.Append($"""<nav class="row" aria-label="{E(text["Pages"])}" data-pages="{pages}">{(page > 1 ? Link(page - 1, "Previous") : "")} <span>{page} / {pages}</span> {(page < pages ? Link(page + 1, "Next") : "")}</nav>""");
        }

        body.Append($"""
            <h2>{E(text["Add an address"])}</h2>
            <form method="post" action="/console/suppressions/add" class="row">{Csrf(session)}
            <div><label for="email">{E(text["E-mail address"])}</label><input id="email" name="email" type="email" required autocomplete="off"></div>
            <div><label for="add-reason">{E(text["Reason"])}</label><input id="add-reason" name="reason" value="operator" required maxlength="100"></div>
            <button type="submit" id="add">{E(text["Add"])}</button></form>
            """);
        return Page(text, text["Suppressions"], "Suppressions", session, body.ToString());
    }

    /// <summary>True for what can be an address: one @, something either side, no spaces, at most 254 characters.</summary>
    public static bool LooksLikeAddress(string email) =>
        email.Length is > 2 and <= 254 && email.IndexOf('@', StringComparison.Ordinal) is var at && at > 0 && at == email.LastIndexOf('@') && at < email.Length - 1
        && !email.Any(char.IsWhiteSpace);
}

/// <summary>
/// <c>/console/history?email=…</c>: a person's mails, newest first, each with its lines (taken, sent, delivered,
/// bounced, dead-lettered …) and their times. The lines are grouped into mails as they were written: a take begins a
/// mail (a retake of the same template joins it), a send or a dead letter ends it, and Brevo's events join the mail
/// whose message id they carry.
/// </summary>
public static class HistoryPage
{
    /// <summary>The form, and the mails of <paramref name="email"/> when given.</summary>
    public static async Task<IResult> RenderAsync(ConsoleServices console, ConsoleText text, ConsoleSession session, string? email, CancellationToken cancellation)
    {
        var body = new StringBuilder($"""
            <form method="get" action="/console/history" class="row" role="search"><div><label for="email">{E(text["E-mail address"])}</label>
            <input id="email" name="email" type="email" value="{E(email)}" required autocomplete="off"></div><button type="submit">{E(text["Show"])}</button></form>
            """);
        if (!string.IsNullOrWhiteSpace(email))
        {
            var mails = Mails(await console.Store.HistoryAsync(email, cancellation).ConfigureAwait(false));
            if (mails.Count == 0)
            {
                body.Append($"<p>{E(text["No mail to this address is in the history."])}</p>");
            }

            var zone = console.Settings.Budget.Zone;
            foreach (var mail in Enumerable.Reverse(mails))
            {
                var template = mail.Select(l => Field(l, "template")).FirstOrDefault(t => t.Length > 0);
                body.Append($"""<section class="mail" data-mail><h2>{E(text["Mail"])} · {E(text["Template"])} {E(template ?? "-")} · {E(text.When(mail[0].At, zone))}</h2><ol>""");
                foreach (var line in mail)
                {
                    var details = new[] { "priority", "reason", "attempts", "message_id" }
                        .Select(name => (Name: name, Value: Field(line, name))).Where(f => f.Value.Length > 0)
                        .Select(f => $"{f.Name} {f.Value}");
                    body.Append($"""<li data-kind="{E(line.Kind)}"><time datetime="{line.At.UtcDateTime:O}">{E(text.When(line.At, zone))}</time> · <strong>{E(text[line.Kind])}</strong> <span class="muted">{E(string.Join(" · ", details))}</span></li>""");
                }

                body.Append("</ol></section>");
            }

            body.Append($"<p class=\"muted\">{E(text["Kept for"])} {console.Settings.Delivery.HistoryDays} {E(text["days"])}.</p>");
        }

        return Page(text, text["History"], "History", session, body.ToString());
    }

    /// <summary>The lines grouped into mails, oldest mail first, each mail's lines oldest first.</summary>
    public static IReadOnlyList<IReadOnlyList<HistoryEntry>> Mails(IReadOnlyList<HistoryEntry> lines)
    {
        var mails = new List<List<HistoryEntry>>();
        var open = new List<List<HistoryEntry>>();
        var byMessage = new Dictionary<string, List<HistoryEntry>>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var template = Field(line, "template");
            switch (line.Kind)
            {
                case "taken":
                    if (open.LastOrDefault(m => Field(m[0], "template") == template) is { } retaken)
                    {
                        retaken.Add(line);
                    }
                    else
                    {
                        Begin(line);
                    }

                    break;
                case "sent" or "dead_lettered":
                    var mail = open.LastOrDefault(m => template.Length == 0 || Field(m[0], "template") == template) ?? Begin(line, add: false);
                    mail.Add(line);
                    open.Remove(mail);
                    if (Field(line, "message_id") is { Length: > 0 } sentId)
                    {
                        byMessage[sentId] = mail;
                    }

                    break;
                default:
                    (Field(line, "message_id") is { Length: > 0 } id && byMessage.TryGetValue(id, out var known) ? known : Begin(line, add: false, keepOpen: false)).Add(line);
                    break;
            }
        }

        return mails;

        List<HistoryEntry> Begin(HistoryEntry first, bool add = true, bool keepOpen = true)
        {
            var mail = new List<HistoryEntry>();
            if (add)
            {
                mail.Add(first);
            }

            mails.Add(mail);
            if (keepOpen)
            {
                open.Add(mail);
            }

            return mail;
        }
    }

    private static string Field(HistoryEntry line, string name) =>
        line.Fields.TryGetValue(name, out var value) ? value switch
        {
            JsonElement { ValueKind: JsonValueKind.String } s => s.GetString() ?? "",
            JsonElement { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => "",
            JsonElement other => other.GetRawText(),
            null => "",
            _ => value.ToString() ?? "",
        } : "";
}
