using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;

namespace Acaso.Mail.Actors.Operator;

/// <summary>
/// The console's page frame, server-rendered: one inline style sheet (one column under 600 px, visible focus, AA
/// contrast), a skip link and a navigation bar, no script. Every value written into a page goes through
/// <see cref="E"/> (HTML-encoded).
/// </summary>
public static class ConsoleHtml
{
    private const string Style = """
        :root { color-scheme: light; --ink: #1f2937; --muted: #4b5563; --line: #d1d5db; --accent: #1d4ed8; --urgent: #9a3412; --bad: #b91c1c; --good: #166534; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #fff; }
        a { color: var(--accent); }
        :focus-visible { outline: 3px solid #b45309; outline-offset: 2px; }
        .skip { position: absolute; left: -10000px; } .skip:focus { left: 8px; top: 8px; background: #fff; padding: 8px; z-index: 1; }
        header { background: #111827; color: #fff; padding: 8px 16px; display: flex; flex-wrap: wrap; gap: 8px 20px; align-items: center; }
        header a, header button { color: #fff; } header strong { margin-right: auto; }
        header nav { display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: center; }
        header nav a[aria-current] { font-weight: 700; text-decoration-thickness: 3px; }
        header form { margin: 0; } header button { background: none; border: 1px solid #9ca3af; border-radius: 4px; padding: 2px 10px; font: inherit; cursor: pointer; }
        main { max-width: 1040px; margin: 0 auto; padding: 16px; }
        h1 { font-size: 1.6rem; margin: 0.2em 0 0.6em; } h2 { font-size: 1.2rem; margin: 1.4em 0 0.4em; }
        .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: 12px; margin: 0; }
        .cards div { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
        .cards dt { color: var(--muted); font-size: 0.9rem; } .cards dd { margin: 0; font-size: 1.5rem; font-weight: 600; }
        .scroll { overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { color: var(--muted); font-weight: 600; font-size: 0.9rem; }
        form.inline { display: inline; } .row { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; margin: 8px 0; }
        label { display: block; font-size: 0.9rem; color: var(--muted); }
        input, select, button { font: inherit; padding: 6px 10px; border: 1px solid #6b7280; border-radius: 4px; color: var(--ink); background: #fff; min-height: 40px; }
        button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
        button.danger { background: var(--bad); border-color: var(--bad); } a.button { display: inline-block; padding: 8px 12px; }
        .flash { border-left: 4px solid var(--good); background: #f0fdf4; padding: 8px 12px; } .error { border-left: 4px solid var(--bad); background: #fef2f2; padding: 8px 12px; }
        .muted { color: var(--muted); } .urgent { color: var(--urgent); font-weight: 600; }
        svg text { fill: var(--ink); font-size: 11px; }
        .mail { border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; margin: 10px 0; } .mail h2 { margin: 0.2em 0; } .mail ol { margin: 4px 0; padding-left: 1.4em; }
        figure { margin: 0; }
        .login { max-width: 360px; margin: 10vh auto; }
        @media (max-width: 600px) {
          .cards { grid-template-columns: 1fr; } main { padding: 10px; }
          table.stack thead { display: none; } table.stack tr { display: block; border-bottom: 1px solid var(--line); padding: 6px 0; }
          table.stack td { display: block; border: 0; padding: 2px 4px; } table.stack td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); }
        }
        """;

    // Every script's letters as they are (Portuguese's accents too); markup characters and controls encoded.
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    /// <summary>HTML-encodes a value for text or an attribute.</summary>
    public static string E(object? value) => Encoder.Encode(value?.ToString() ?? "");

    /// <summary>The hidden antiforgery field of a changing form.</summary>
    public static string Csrf(ConsoleSession session) => $"""<input type="hidden" name="{ConsoleSessions.CsrfField}" value="{E(session.Csrf)}">""";

    /// <summary>A whole page: <paramref name="body"/> inside the frame; <paramref name="current"/> is the navigation entry to mark.</summary>
    public static IResult Page(ConsoleText text, string title, string current, ConsoleSession? session, string body, int status = 200)
    {
        var page = new StringBuilder();
        page.Append($"""
            <!doctype html>
            <html lang="{text.Language}">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="referrer" content="no-referrer"><title>{E(title)} · {E(text["Acaso Mail console"])}</title><style>{Style}</style></head>
            <body><a class="skip" href="#content">{E(text["Skip to the content"])}</a>
            <header><strong>{E(text["Acaso Mail console"])}</strong>
            """);
        if (session is not null)
        {
            page.Append("<nav aria-label=\"console\">");
            foreach (var (path, name) in new[] { ("/console", "Today"), ("/console/dead-letters", "Dead letters"), ("/console/suppressions", "Suppressions"), ("/console/history", "History") })
            {
                page.Append($"""<a href="{path}"{(name == current ? " aria-current=\"page\"" : "")}>{E(text[name])}</a>""");
            }

            page.Append($"""<form method="post" action="/console/logout">{Csrf(session)}<button type="submit">{E(text["Sign out"])}</button></form></nav>""");
        }

        page.Append($"""</header><main id="content"><h1>{E(title)}</h1>{body}</main></body></html>""");
        return Results.Text(page.ToString(), "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    /// <summary>A table whose cells carry their column's name (read as "name: value" lines on a phone).</summary>
    public static string Table(ConsoleText text, IReadOnlyList<string> columns, IEnumerable<IReadOnlyList<string>> rows, string? id = null)
    {
        var html = new StringBuilder($"""<div class="scroll"><table class="stack"{(id is null ? "" : $" id=\"{id}\"")}><thead><tr>""");
        foreach (var column in columns)
        {
            html.Append($"<th scope=\"col\">{E(text[column])}</th>");
        }

        html.Append("</tr></thead><tbody>");
        foreach (var row in rows)
        {
            html.Append("<tr>");
            for (var i = 0; i < row.Count; i++)
            {
                // Cells arrive as HTML already (encoded values, buttons).
                html.Append($"<td data-label=\"{E(text[columns[i]])}\">{row[i]}</td>");
            }

            html.Append("</tr>");
        }

        return html.Append("</tbody></table></div>").ToString();
    }
}
