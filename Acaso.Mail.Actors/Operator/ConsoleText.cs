using System.Collections;
using System.Globalization;
using System.Resources;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Localization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace Acaso.Mail.Actors.Operator;

/// <summary>
/// The console's words in the operator's language. ASP.NET Core's request localization picks the language from the
/// browser's <c>Accept-Language</c> (<see cref="Localization"/>: Portuguese when it prefers any Portuguese to English,
/// English otherwise), and its <see cref="IStringLocalizer"/> looks each text up, by its English, in the resource files
/// beside this one (<c>ConsoleText.resx</c>, English, and <c>ConsoleText.pt.resx</c>, Brazilian Portuguese, which
/// <c>pt-BR</c>, <c>pt-PT</c> and <c>pt</c> all reach). Dates and numbers are shown in the language's own format
/// (<c>pt-BR</c> for Portuguese) and the service's zone (<c>MAIL_TIMEZONE</c>).
/// </summary>
public sealed class ConsoleText
{
    private static readonly CultureInfo EnglishCulture = CultureInfo.GetCultureInfo("en-US");
    private static readonly CultureInfo PortugueseCulture = CultureInfo.GetCultureInfo("pt-BR");

    /// <summary>The resource files, for <see cref="Known"/> (the specs' check that every page's text is in both).</summary>
    private static readonly ResourceManager Words = new(typeof(ConsoleText).FullName!, typeof(ConsoleText).Assembly);

    private readonly IStringLocalizer _localizer;

    private ConsoleText(CultureInfo culture, string language, IStringLocalizer localizer)
    {
        Culture = culture;
        Language = language;
        _localizer = localizer;
    }

    /// <summary>Numbers and dates are formatted in this culture.</summary>
    public CultureInfo Culture { get; }

    /// <summary>The page's <c>lang</c>.</summary>
    public string Language { get; }

    /// <summary>The languages a request may be answered in, English first (the default), and how the request's is chosen.</summary>
    public static RequestLocalizationOptions Localization()
    {
        // Neutral Portuguese among them, so that pt and pt-PT reach the Portuguese texts too (through their parent).
        CultureInfo[] supported = [EnglishCulture, PortugueseCulture, CultureInfo.GetCultureInfo("pt")];
        var options = new RequestLocalizationOptions
        {
            DefaultRequestCulture = new RequestCulture(EnglishCulture),
            SupportedCultures = supported,
            SupportedUICultures = supported,
            FallBackToParentCultures = true,
            FallBackToParentUICultures = true,
        };
        // The browser's preference only: no query string or cookie chooses a language.
        options.RequestCultureProviders = [new AcceptLanguageHeaderRequestCultureProvider { Options = options }];
        return options;
    }

    /// <summary>The language request localization chose for the request (English when it did not run).</summary>
    public static ConsoleText For(HttpContext context)
    {
        var chosen = context.Features.Get<IRequestCultureFeature>()?.RequestCulture.UICulture;
        var localizer = context.RequestServices?.GetService<IStringLocalizer<ConsoleText>>() ?? Fallback;
        return chosen?.TwoLetterISOLanguageName == "pt"
            ? new ConsoleText(PortugueseCulture, "pt-BR", localizer)
            : new ConsoleText(EnglishCulture, "en", localizer);
    }

    /// <summary>The localizer where no service provider has one (a spec's bare context).</summary>
    private static readonly IStringLocalizer Fallback = new ResourceManagerStringLocalizerFactory(
        Options.Create(new LocalizationOptions()), Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).Create(typeof(ConsoleText));

    /// <summary>The texts a language's own resource file holds: <c>en</c> or <c>pt-BR</c>.</summary>
    public static IReadOnlySet<string> Known(string language) =>
        // English is the neutral file, in the assembly itself; Portuguese is its satellite.
        Words.GetResourceSet(language == "en" ? CultureInfo.InvariantCulture : CultureInfo.GetCultureInfo("pt"), createIfNotExists: true, tryParents: false) is { } set
            ? set.Cast<DictionaryEntry>().Select(e => (string)e.Key).ToHashSet(StringComparer.Ordinal)
            : new HashSet<string>();

    /// <summary>
    /// <paramref name="english"/> in the request's language (the English itself when no resource file has it): the
    /// localizer reads the UI culture request localization set for the request.
    /// </summary>
    public string this[string english] => english.Length == 0 ? english : _localizer[english].Value;

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
        var singular = Language == "en" ? count == 1 : count is 0 or 1;
        return this[singular ? one : other];
    }
}
