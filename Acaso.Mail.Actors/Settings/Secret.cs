namespace Acaso.Mail.Actors.Settings;

/// <summary>
/// A value that must never be printed: the Brevo API key. Its <see cref="ToString"/> is a fixed mask, so a
/// log line, an exception or a record's generated ToString cannot leak it by accident.
/// </summary>
public sealed class Secret(string value)
{
    private readonly string _value = value;

    /// <summary>True when no value was configured.</summary>
    public bool IsEmpty => string.IsNullOrEmpty(_value);

    /// <summary>The value, for the one place that must send it (the api-key header).</summary>
    public string Reveal() => _value;

    public override string ToString() => IsEmpty ? "(not set)" : "(redacted)";

    /// <summary><paramref name="url"/> with the password of its user info masked, for logs (the broker's, the database's).</summary>
    public static string MaskPassword(Uri url) => url.UserInfo.Length == 0
        ? url.ToString()
        : url.ToString().Replace(url.UserInfo, url.UserInfo.Split(':')[0] + ":***", StringComparison.Ordinal);
}
