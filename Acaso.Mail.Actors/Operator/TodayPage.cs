using System.Globalization;
using System.Text;
using System.Text.Json;
using Acaso.Mail.Actors.Budget;
using Acaso.Mail.Actors.Delivery;
using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using Quartz;
using static Acaso.Mail.Actors.Operator.ConsoleHtml;

namespace Acaso.Mail.Actors.Operator;

/// <summary>
/// <c>/console</c>: the day at a glance. The budget and queue figures are read from the same gauges and counters
/// <c>/metrics</c> exports (so the two agree at any moment), the schedule from the Quartz crons in the service's zone,
/// the chart from today's <c>sent</c> history lines, the cluster from this node's view of it.
/// </summary>
public static class TodayPage
{
    /// <summary>Renders the page.</summary>
    public static async Task<IResult> RenderAsync(ConsoleServices console, ConsoleText text, ConsoleSession session, CancellationToken cancellation)
    {
        var settings = console.Settings;
        var metrics = console.Metrics;
        var zone = settings.Budget.Zone;
        var now = console.Clock.GetUtcNow();
        var body = new StringBuilder();

        body.Append($"<h2>{E(text["Budget"])}</h2>");
        if (settings.Budget.Unlimited)
        {
            body.Append($"<p>{E(text["Unlimited mode: no daily budget."])}</p>");
        }

        body.Append("<dl class=\"cards\">");
        Card(body, text, "Spent today", "mail_tokens_spent_today", text.Number(metrics.TokensSpentToday.Value));
        if (!settings.Budget.Unlimited)
        {
            Card(body, text, "Left today", "mail_tokens_left_today", text.Number(metrics.TokensLeftToday.Value));
            Card(body, text, "Daily limit", "daily_limit", text.Number(settings.Budget.DailyLimit));
        }

        var window = await WindowAsync(console).ConfigureAwait(false);
        Card(body, text, "Window tokens left", "mail_window_tokens_left",
            text.Number(metrics.WindowTokensLeft.Value) + (window is { } w ? $" <span class=\"muted\">/ {E(text.Number(w.WindowGranted))}</span>" : ""));
        if (settings.Urgent.Enabled && !settings.Budget.Unlimited)
        {
            Card(body, text, "Borrowed from coming windows", "mail_tokens_borrowed", text.Number(metrics.TokensBorrowed.Value));
        }

        if (!settings.Budget.Unlimited)
        {
            Card(body, text, "Next window", "next_window", Next(settings.Budget.HourlyCron, zone, now) is { } next ? E(text.Time(next, zone)) : "-");
            Card(body, text, "End-of-day flush", "end_of_day", Next(settings.Budget.EndOfDayCron, zone, now) is { } flush ? E(text.Time(flush, zone)) : "-");
        }

        body.Append("</dl>");

        body.Append($"<h2>{E(text["Queue"])}</h2><dl class=\"cards\">");
        Card(body, text, "Ready in the queue", "mail_queue_depth", text.Number(metrics.QueueDepth.Value));
        var head = metrics.QueueHeadPriority.Value;
        Card(body, text, "Priority at the head", "mail_queue_head_priority", head < 0 ? E(text["empty"]) : text.Number(head));
        body.Append("</dl>");

        body.Append($"<h2>{E(text["Dead-lettered since start, by reason"])}</h2>");
        var dead = metrics.DeadLetters.GetAllLabelValues().Select(l => (Reason: l[0], Count: metrics.DeadLetters.WithLabels(l).Value))
            .Where(d => d.Count > 0).OrderByDescending(d => d.Count).ToList();
        body.Append(dead.Count == 0
            ? $"<p class=\"muted\">{E(text["None."])}</p>"
            : Table(text, ["Reason", "Count"], dead.Select(d => (IReadOnlyList<string>)
                [$"<a href=\"/console/dead-letters?reason={Uri.EscapeDataString(d.Reason)}\">{E(d.Reason)}</a>",
                 $"<span data-dead-letters=\"{E(d.Reason)}\">{E(text.Number(d.Count))}</span>"]), "dead-letters-by-reason"));

        body.Append($"<h2>{E(text["Today's windows"])}</h2>");
        body.Append(WindowChart.Render(text, await HoursAsync(console, zone, now, cancellation).ConfigureAwait(false), zone.Id));

        body.Append($"<h2>{E(text["Cluster"])}</h2>");
        body.Append(ClusterView(console, text));

        body.Append($"<h2>{E(text["Operators' changes"])}</h2>");
        var changes = OperatorLog.Latest(console.Store, 20);
        body.Append(changes.Count == 0
            ? $"<p class=\"muted\">{E(text["None kept."])}</p>"
            : Table(text, ["When", "Event", "Detail", "Count", "Source"], changes.Select(c => (IReadOnlyList<string>)
                [E(text.When(c.At, zone)), E(text[c.Action]), E(c.Subject), E(c.Count), E(c.Client)]), "operator-changes"));
        body.Append($"<p class=\"muted\">{E(text["Kept for"])} {settings.Delivery.HistoryDays} {E(text["days"])}.</p>");
        return Page(text, text["Today"], "Today", session, body.ToString());
    }

    private static void Card(StringBuilder body, ConsoleText text, string name, string metric, string html) =>
        body.Append($"<div><dt>{E(text[name])}</dt><dd data-metric=\"{metric}\">{html}</dd></div>");

    private static async Task<BudgetProtocol.BudgetStatus?> WindowAsync(ConsoleServices console)
    {
        try
        {
            var keeper = ActorRegistry.For(console.System).Get<BudgetKeeper>();
            return await keeper.Ask<BudgetProtocol.BudgetStatus>(BudgetProtocol.GetStatus.Instance, TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AskTimeoutException or MissingActorRegistryEntryException or InvalidCastException)
        {
            // The keeper's node may be away: the page shows the gauges alone.
            return null;
        }
    }

    private static DateTimeOffset? Next(string cron, TimeZoneInfo zone, DateTimeOffset now) =>
        new CronExpression(cron, zone).GetNextValidTimeAfter(now);

    /// <summary>Today's sends in each hour of the service's zone: (all, urgent).</summary>
    private static async Task<(int Sent, int Urgent)[]> HoursAsync(ConsoleServices console, TimeZoneInfo zone, DateTimeOffset now, CancellationToken cancellation)
    {
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var midnight = new DateTimeOffset(local.Date, zone.GetUtcOffset(local.Date));
        var hours = new (int Sent, int Urgent)[24];
        foreach (var line in await console.Store.HistorySinceAsync("sent", midnight, cancellation).ConfigureAwait(false))
        {
            var hour = TimeZoneInfo.ConvertTime(line.At, zone).Hour;
            var urgent = line.Fields.TryGetValue("priority", out var p) && p is JsonElement { ValueKind: JsonValueKind.Number } priority
                && priority.GetInt32() >= console.Settings.Urgent.Priority;
            hours[hour] = (hours[hour].Sent + 1, hours[hour].Urgent + (urgent ? 1 : 0));
        }

        return hours;
    }

    private static string ClusterView(ConsoleServices console, ConsoleText text)
    {
        if (!console.Settings.Cluster.Enabled)
        {
            return $"<p>{E(text["This node runs alone."])}</p>";
        }

        var cluster = Akka.Cluster.Cluster.Get(console.System);
        var state = cluster.State;
        var up = state.Members.Where(m => m.Status == MemberStatus.Up).ToList();
        var keeper = up.Count == 0 ? null : up.Aggregate((a, b) => b.IsOlderThan(a) ? b : a);
        return Table(text, ["Member", "Status"], state.Members.OrderBy(m => m.Address.ToString(), StringComparer.Ordinal).Select(m =>
        {
            var notes = new List<string> { m.Status.ToString() };
            if (state.Unreachable.Contains(m))
            {
                notes.Add(text["unreachable"]);
            }

            if (m.Equals(keeper))
            {
                notes.Add(text["holds the budget keeper"]);
            }

            if (m.Address.Equals(cluster.SelfAddress))
            {
                notes.Add(text["this node"]);
            }

            return (IReadOnlyList<string>)[E(m.Address), E(string.Join(", ", notes))];
        }), "cluster-members");
    }
}

/// <summary>The chart of today's windows: one bar an hour, its urgent part darker; server-rendered SVG with a text alternative.</summary>
public static class WindowChart
{
    /// <summary>The SVG for <paramref name="hours"/> (24 entries: sent, of which urgent).</summary>
    public static string Render(ConsoleText text, IReadOnlyList<(int Sent, int Urgent)> hours, string zoneName)
    {
        const int width = 720, height = 200, left = 34, bottom = 24, top = 10;
        var max = Math.Max(1, hours.Max(h => h.Sent));
        var scale = (height - bottom - top) / (double)max;
        var bar = (width - left) / 24.0;
        var total = hours.Sum(h => h.Sent);
        var urgent = hours.Sum(h => h.Urgent);
        var summary = $"{text["Mails sent in each hour of today; the darker part went on the urgent lane."]} ({zoneName}): {text.Number(total)} {text["sent"]}, {text.Number(urgent)} {text["urgent"]}.";
        var svg = new StringBuilder($"""<figure><svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-labelledby="chart-title" id="window-chart"><title id="chart-title">{E(summary)}</title>""");
        svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" stroke="#6b7280"/>""");
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{left - 6}" y="{top + 10}" text-anchor="end">{max}</text><text x="{left - 6}" y="{height - bottom}" text-anchor="end">0</text>""");
        for (var hour = 0; hour < 24; hour++)
        {
            var (sent, fast) = hours[hour];
            var x = left + (hour * bar) + 2;
            var h = sent * scale;
            var u = fast * scale;
            svg.Append(CultureInfo.InvariantCulture,
                $"""<g data-hour="{hour}" data-sent="{sent}" data-urgent="{fast}"><title>{hour:00}h: {sent} {E(text["sent"])}, {fast} {E(text["urgent"])}</title>""");
            svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{x:0.#}" y="{height - bottom - h:0.#}" width="{bar - 4:0.#}" height="{h:0.#}" fill="#1d4ed8"/>""");
            if (fast > 0)
            {
                svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{x:0.#}" y="{height - bottom - u:0.#}" width="{bar - 4:0.#}" height="{u:0.#}" fill="#7c2d12"/>""");
            }

            svg.Append("</g>");
            if (hour % 3 == 0)
            {
                svg.Append(CultureInfo.InvariantCulture, $"""<text x="{x + ((bar - 4) / 2):0.#}" y="{height - 8}" text-anchor="middle">{hour:00}h</text>""");
            }
        }

        return svg.Append($"""</svg><figcaption class="muted">{E(summary)}</figcaption></figure>""").ToString();
    }
}
