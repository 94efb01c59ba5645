using System.Collections;
using System.Globalization;
using System.Resources;
using Microsoft.AspNetCore.Http;

namespace Acaso.Mail.Actors.Operator;

/// <summary>
/// The console's words in the operator's language: Brazilian Portuguese when the browser's <c>Accept-Language</c>
/// prefers Portuguese to English, English otherwise. Each text is written in English in the page code and looked up,
/// by that English, in the resource files beside this one (<c>ConsoleText.resx</c>, English, and
/// <c>ConsoleText.pt-BR.resx</c>); dates are shown in the language's own format and the service's zone (<c>MAIL_TIMEZONE</c>).
/// </summary>
public sealed class ConsoleText
{
    /// <summary>English, the default.</summary>
    public static readonly ConsoleText English = new(CultureInfo.GetCultureInfo("en-US"), "en");

    /// <summary>Brazilian Portuguese.</summary>
    public static readonly ConsoleText Portuguese = new(CultureInfo.GetCultureInfo("pt-BR"), "pt-BR");

    private static readonly ResourceManager Words = new(typeof(ConsoleText).FullName!, typeof(ConsoleText).Assembly);

    private ConsoleText(CultureInfo culture, string language)
    {
        Culture = culture;
        Language = language;
    }

    /// <summary>Numbers and dates are formatted in this culture.</summary>
    public CultureInfo Culture { get; }

    /// <summary>The page's <c>lang</c>.</summary>
    public string Language { get; }

    /// <summary>The texts a language's own resource file holds (the specs check that each page's text is in both).</summary>
    public static IReadOnlySet<string> Known(ConsoleText language) =>
        // English is the neutral file, in the assembly itself; Portuguese is its satellite.
        Words.GetResourceSet(language == English ? CultureInfo.InvariantCulture : language.Culture, createIfNotExists: true, tryParents: false) is { } set
            ? set.Cast<DictionaryEntry>().Select(e => (string)e.Key).ToHashSet(StringComparer.Ordinal)
            : new HashSet<string>();

    /// <summary><paramref name="english"/> in this language (the English itself when no resource file has it).</summary>
    public string this[string english] => english.Length == 0 ? english : Words.GetString(english, Culture) ?? english;

    /// <summary>The language the request's <c>Accept-Language</c> prefers among the two (ties go to the first listed).</summary>
    public static ConsoleText For(HttpRequest request)
    {
        var best = request.GetTypedHeaders().AcceptLanguage
            .Select((value, index) => (Tag: value.Value.ToString(), Quality: value.Quality ?? 1, Index: index))
            .Where(l => l.Quality > 0 && (IsPortuguese(l.Tag) || l.Tag.StartsWith("en", StringComparison.OrdinalIgnoreCase)))
            .OrderByDescending(l => l.Quality).ThenBy(l => l.Index)
            .FirstOrDefault();
        return best.Tag is { } tag && IsPortuguese(tag) ? Portuguese : English;
    }

    /// <summary>An instant in the service's zone, in this language's short date and long time (seconds tell a history's lines apart).</summary>
    public string When(DateTimeOffset instant, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(instant, zone).ToString("G", Culture);

    /// <summary>An instant's time of day only (today's page).</summary>
    public string Time(DateTimeOffset instant, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(instant, zone).ToString("t", Culture);

    /// <summary>A number in this language's digits grouping.</summary>
    public string Number(double value) => value.ToString("#,0.##", Culture);

    /// <summary>
    /// <paramref name="count"/> things, in this language's plural: <paramref name="one"/> or <paramref name="other"/>
    /// (both in English, looked up). The rule is the language's (Unicode CLDR): English says "1 letter" and "0 letters",
    /// Portuguese "0 mensagem" and "1 mensagem", both "2" with the plural.
    /// </summary>
    public string Count(int count, string one, string other)
    {
        var singular = Language == English.Language ? count == 1 : count is 0 or 1;
        return this[singular ? one : other];
    }

    private static bool IsPortuguese(string tag) => tag.Equals("pt", StringComparison.OrdinalIgnoreCase) || tag.StartsWith("pt-", StringComparison.OrdinalIgnoreCase);
}
