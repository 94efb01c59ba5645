using System.Globalization;
using Akka.Configuration;
using Quartz;

namespace Acaso.Mail.Actors.Settings;

/// <summary>
/// How one setting's value is read from <c>acaso.mail</c> and refused: each refusal names the variable that set it (or
/// its HOCON path) and what it accepts, so that the start ends with one line an operator can act on.
/// </summary>
internal abstract class SettingsValues(Config config, IReadOnlyDictionary<string, string> origins)
{
    /// <summary>The <c>acaso.mail</c> section, the environment's values on top of the embedded defaults.</summary>
    protected Config Config { get; } = config;

    /// <summary><paramref name="value"/> as a HOCON string, quotes and backslashes escaped.</summary>
    public static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>An IP address, or nothing (every address).</summary>
    protected System.Net.IPAddress? Address(string path)
    {
        var text = Raw(path).Trim();
        return text.Length == 0 ? null
            : System.Net.IPAddress.TryParse(text, out var address) ? address
            : throw Bad(path, "an IP address such as 10.0.0.5, or nothing (every address)");
    }

    protected IReadOnlyList<string> HostPorts(string path, string example)
    {
        var seeds = Raw(path).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var seed in seeds)
        {
            var colon = seed.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(seed[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                throw Bad(path, "a comma-separated list of host:port, such as " + example);
            }
        }

        return seeds;
    }

    /// <summary>A comma-separated list of addresses (one host each) or CIDR ranges.</summary>
    protected IReadOnlyList<System.Net.IPNetwork> Networks(string path)
    {
        var networks = new List<System.Net.IPNetwork>();
        foreach (var entry in Raw(path).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (System.Net.IPNetwork.TryParse(entry, out var network))
            {
                networks.Add(network);
            }
            else if (System.Net.IPAddress.TryParse(entry, out var address))
            {
                networks.Add(new System.Net.IPNetwork(address, address.GetAddressBytes().Length * 8));
            }
            else
            {
                throw Bad(path, "a comma-separated list of addresses or CIDR ranges, such as 10.0.0.5,10.1.0.0/16, or nothing (no proxy is trusted)");
            }
        }

        return networks;
    }

    protected string Name(string path) => origins.TryGetValue(path, out var variable)
        ? variable
        : "acaso.mail." + path;

    /// <summary>The variable that sets <paramref name="path"/>, set or not (for a message about one left unset).</summary>
    protected static string Variable(string path) =>
        SettingsLoader.EnvironmentVariables.FirstOrDefault(v => v.Value == path).Key ?? "acaso.mail." + path;

    protected string Raw(string path) => Config.GetString(path)
        ?? throw new SettingsException($"{Name(path)} is not set");

    protected SettingsException Bad(string path, string accepts) =>
        new($"{Name(path)}='{Raw(path)}' is not valid: it accepts {accepts}");

    protected string NonEmpty(string path)
    {
        var value = Raw(path).Trim();
        return value.Length > 0 ? value : throw Bad(path, "a non-empty value");
    }

    protected string OneOf(string path, params string[] accepted)
    {
        var value = Raw(path).Trim().ToLowerInvariant();
        return accepted.Contains(value) ? value : throw Bad(path, string.Join(" or ", accepted));
    }

    protected int Int(string path, int min, int max) =>
        int.TryParse(Raw(path).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw Bad(path, $"a whole number from {min} to {max}");

    protected bool Bool(string path) => Raw(path).Trim().ToLowerInvariant() switch
    {
        "true" or "on" or "yes" or "1" => true,
        "false" or "off" or "no" or "0" => false,
        _ => throw Bad(path, "true or false"),
    };

    protected TimeSpan Duration(string path, TimeSpan min, TimeSpan max)
    {
        var text = Raw(path).Trim();
        TimeSpan value;
        try
        {
            value = ConfigurationFactory.ParseString($"v = {Quote(text)}").GetTimeSpan("v", allowInfinite: false);
        }
        catch (Exception)
        {
            throw Bad(path, $"a duration such as 30s, 5m or 2h, from {min} to {max}");
        }

        return value >= min && value <= max ? value : throw Bad(path, $"a duration from {min} to {max}");
    }

    protected Uri Url(string path, params string[] schemes) =>
        Uri.TryCreate(Raw(path).Trim(), UriKind.Absolute, out var uri) && schemes.Contains(uri.Scheme)
            ? uri
            : throw Bad(path, $"an absolute {string.Join(" or ", schemes.Select(s => s + "://"))} URL");

    protected TimeZoneInfo Zone(string path)
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(Raw(path).Trim());
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException)
        {
            throw Bad(path, "an IANA time zone id such as America/Recife or UTC");
        }
    }

    protected string Cron(string path)
    {
        var value = Raw(path).Trim();
        return CronExpression.TryParse(value, out _)
            ? value
            : throw Bad(path, "a Quartz cron expression with seconds, such as \"0 0 * * * ?\" (every hour at minute 0)");
    }
}
