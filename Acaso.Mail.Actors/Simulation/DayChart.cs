using System.Globalization;
using System.Text;

namespace Acaso.Mail.Actors.Simulation;

/// <summary>Draws a simulated day as SVG: sends per hour stacked by priority band, the day's tokens left as a line.</summary>
public static class DayChart
{
    private static readonly (string Name, int Min, string Color)[] Bands =
        [("199+ (urgent)", 199, "#d62728"), ("195-198", 195, "#ff7f0e"), ("190-194", 190, "#2ca02c"), ("<190", 0, "#1f77b4")];

    /// <summary>The SVG document.</summary>
    public static string Svg(SimulationSummary summary, SimulationOptions options)
    {
        const int width = 900, height = 420, left = 60, right = 60, top = 40, bottom = 60;
        var plotWidth = width - left - right;
        var plotHeight = height - top - bottom;
        var perHour = new int[24, Bands.Length];
        foreach (var send in summary.Sends)
        {
            var hour = Math.Clamp((int)(send.At / 3600), 0, 23);
            var band = Array.FindIndex(Bands, b => send.Priority >= b.Min);
            perHour[hour, band]++;
        }

        var maxSends = Math.Max(1, Enumerable.Range(0, 24).Max(h => Enumerable.Range(0, Bands.Length).Sum(b => perHour[h, b])));
        var barWidth = plotWidth / 24.0;
        string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
        var svg = new StringBuilder();
        svg.AppendLine(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">""");
        svg.AppendLine(CultureInfo.InvariantCulture, $"""<rect width="{width}" height="{height}" fill="white"/>""");
        svg.AppendLine(CultureInfo.InvariantCulture,
            $"""<text x="{left}" y="20" font-size="14">{options.Mails} mails ({options.Arrivals}), limit {options.DailyLimit}, {options.PerHour}/h, policy {options.Policy.ToString().ToLowerInvariant()}: {summary.Sent} sent, urgent mean wait {F(summary.UrgentMeanWaitSeconds)} s</text>""");
        for (var hour = 0; hour < 24; hour++)
        {
            double y = top + plotHeight;
            for (var band = Bands.Length - 1; band >= 0; band--)
            {
                var h = perHour[hour, band] * plotHeight / (double)maxSends;
                if (h > 0)
                {
                    y -= h;
                    svg.AppendLine(CultureInfo.InvariantCulture,
                        $"""<rect x="{F(left + hour * barWidth + 2)}" y="{F(y)}" width="{F(barWidth - 4)}" height="{F(h)}" fill="{Bands[band].Color}"><title>{hour:00}h {Bands[band].Name}: {perHour[hour, band]}</title></rect>""");
                }
            }

            if (hour % 3 == 0)
            {
                svg.AppendLine(CultureInfo.InvariantCulture, $"""<text x="{F(left + hour * barWidth)}" y="{top + plotHeight + 16}">{hour:00}:00</text>""");
            }
        }

        // Tokens left today after each window, on the right-hand axis.
        var points = summary.Windows.Select(w =>
            $"{F(left + (w.Kind == "hourly" ? w.Hour + 0.5 : 23.5) * barWidth)},{F(top + plotHeight - w.LeftToday * plotHeight / (double)options.DailyLimit)}");
        svg.AppendLine(CultureInfo.InvariantCulture, $"""<polyline points="{string.Join(' ', points)}" fill="none" stroke="black" stroke-width="2"/>""");
        svg.AppendLine(CultureInfo.InvariantCulture, $"""<line x1="{left}" y1="{top + plotHeight}" x2="{left + plotWidth}" y2="{top + plotHeight}" stroke="black"/>""");
        svg.AppendLine(CultureInfo.InvariantCulture, $"""<text x="8" y="{top + 10}">{maxSends} sent/h</text><text x="{left + plotWidth + 4}" y="{top + 10}">{options.DailyLimit} left</text>""");
        for (var band = 0; band < Bands.Length; band++)
        {
            svg.AppendLine(CultureInfo.InvariantCulture,
                $"""<rect x="{left + band * 150}" y="{height - 24}" width="12" height="12" fill="{Bands[band].Color}"/><text x="{left + band * 150 + 16}" y="{height - 14}">{Bands[band].Name}</text>""");
        }

        svg.AppendLine(CultureInfo.InvariantCulture, $"""<line x1="{left + 4 * 150}" y1="{height - 18}" x2="{left + 4 * 150 + 14}" y2="{height - 18}" stroke="black" stroke-width="2"/><text x="{left + 4 * 150 + 18}" y="{height - 14}">tokens left today</text>""");
        svg.AppendLine("</svg>");
        return svg.ToString();
    }
}
