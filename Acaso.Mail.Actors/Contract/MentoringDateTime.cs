using System.Globalization;
using System.Text.RegularExpressions;

namespace Acaso.Mail.Actors.Contract;

/// <summary>
/// Reads <c>mentoring_datetime</c>: Python's <c>str(datetime)</c> (a space between date and time) and
/// ISO 8601 (<c>T</c>, <c>Z</c>, offsets with or without colon, any fraction length). No offset means UTC.
/// </summary>
public static partial class MentoringDateTime
{
    [GeneratedRegex(
        @"^(?<y>\d{4})-(?<mo>\d{2})-(?<d>\d{2})[ T](?<h>\d{2}):(?<mi>\d{2})(?::(?<s>\d{2})(?:[.,](?<f>\d{1,20}))?)?(?<z>Z|z|[+-]\d{2}(?::?\d{2})?)?$",
        RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Pattern();

    /// <summary>Parses the value into an instant, or returns false.</summary>
    public static bool TryParse(string value, out DateTimeOffset instant)
    {
        instant = default;
        if (value.Length > 64)
        {
            return false;
        }

        var m = Pattern().Match(value.Trim());
        if (!m.Success)
        {
            return false;
        }

        int Int(string group) => int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);

        var offset = TimeSpan.Zero;
        var zone = m.Groups["z"];
        if (zone.Success && zone.Value is not ("Z" or "z"))
        {
            var digits = zone.Value[1..].Replace(":", "", StringComparison.Ordinal);
            var hours = int.Parse(digits[..2], CultureInfo.InvariantCulture);
            var minutes = digits.Length == 4 ? int.Parse(digits[2..], CultureInfo.InvariantCulture) : 0;
            if (hours > 23 || minutes > 59)
            {
                return false;
            }

            offset = new TimeSpan(hours, minutes, 0);
            if (zone.Value[0] == '-')
            {
                offset = -offset;
            }
        }

        long fractionTicks = 0;
        if (m.Groups["f"].Success)
        {
            // A tick is 100 ns: seven digits. Longer fractions are truncated, shorter ones padded.
            var f = m.Groups["f"].Value;
            f = f.Length >= 7 ? f[..7] : f.PadRight(7, '0');
            fractionTicks = long.Parse(f, CultureInfo.InvariantCulture);
        }

        try
        {
            var local = new DateTime(Int("y"), Int("mo"), Int("d"), Int("h"), Int("mi"),
                m.Groups["s"].Success ? Int("s") : 0, DateTimeKind.Unspecified).AddTicks(fractionTicks);
            instant = new DateTimeOffset(local, offset);
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            // 2026-02-30, hour 25 and the like: the shape matched, the calendar did not.
            return false;
        }
    }
}
