using System.Text.Json;

namespace Acaso.Mail.Actors.Contract;

/// <summary>
/// JSON that is valid yet holds text no string can: an escape such as <c>"\ud800"</c> names half a UTF-16 character.
/// <see cref="JsonDocument"/> parses it, then throws when the text is read, and a property lookup throws or not
/// depending on where the bad name stands. Checking every name and string up front makes the verdict one thing.
/// </summary>
public static class JsonText
{
    private const int MaxShown = 120;

    /// <summary>
    /// Where in <paramref name="root"/> (parsed from <paramref name="utf8"/>) a property name or a string decodes to
    /// half a character, as a path (<c>mail_params.mentor_name</c>, <c>body[1].email</c>, <c>a property name in
    /// recipient</c>), or null. Only text with a surrogate escape (<c>\uD800</c> to <c>\uDFFF</c>) is walked: valid UTF-8
    /// alone cannot hold a surrogate, and Acaso's bodies escape accented letters (<c>\u00e3</c>), not these.
    /// </summary>
    /// <param name="utf8">The JSON text.</param>
    /// <param name="root">Its parsed root.</param>
    /// <param name="rootPath">What to call the root in a path ("" names top-level fields bare).</param>
    public static string? UnpairedSurrogate(ReadOnlySpan<byte> utf8, JsonElement root, string rootPath = "")
    {
        if (!HasSurrogateEscape(utf8) || Find(root, rootPath) is not { } where)
        {
            return null;
        }

        // The path is made of the body's own names: keep a log line or a header short whatever they are.
        return where.Length <= MaxShown ? where : where[..MaxShown] + "…";
    }

    /// <summary>Whether <paramref name="utf8"/> holds <c>\uDxxx</c> with x from 8 to F (an escaped backslash may make it a false alarm, never a miss).</summary>
    private static bool HasSurrogateEscape(ReadOnlySpan<byte> utf8)
    {
        for (var at = utf8.IndexOf("\\u"u8); at >= 0 && at + 3 < utf8.Length; at = NextEscape(utf8, at))
        {
            if (utf8[at + 2] is (byte)'d' or (byte)'D' && utf8[at + 3] is >= (byte)'8' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F')
            {
                return true;
            }
        }

        return false;
    }

    private static int NextEscape(ReadOnlySpan<byte> utf8, int at) => utf8[(at + 2)..].IndexOf("\\u"u8) is var next and >= 0 ? at + 2 + next : -1;

    private static string? Find(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return Decodes(() => element.GetString()) ? null : path;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (Find(item, $"{path}[{index++}]") is { } inItem)
                    {
                        return inItem;
                    }
                }

                return null;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    string? name = null;
                    if (!Decodes(() => name = property.Name))
                    {
                        return path.Length == 0 ? "a property name at the top level" : $"a property name in {path}";
                    }

                    if (Find(property.Value, path.Length == 0 ? name! : $"{path}.{name}") is { } inValue)
                    {
                        return inValue;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    private static bool Decodes(Action read)
    {
        try
        {
            read();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
