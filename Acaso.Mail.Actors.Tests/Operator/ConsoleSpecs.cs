using System.Text.Json;
using Acaso.Mail.Actors.Delivery;
using Acaso.Mail.Actors.Operator;
using Acaso.Mail.Actors.Settings;
using Acaso.Mail.Actors.Tests.Support;
using Microsoft.AspNetCore.Http;

namespace Acaso.Mail.Actors.Tests.Operator;

/// <summary>The console's parts without a browser: the password check, the language choice, the history's grouping into mails.</summary>
public sealed class ConsoleSpecs
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("en", 0, "letters in the queue")]
    [InlineData("en", 1, "letter in the queue")]
    [InlineData("en", 2, "letters in the queue")]
    [InlineData("pt-BR", 0, "mensagem na fila")]
    [InlineData("pt-BR", 1, "mensagem na fila")]
    [InlineData("pt-BR", 2, "mensagens na fila")]
    public async Task A_count_should_read_right_in_each_language(string language, int count, string expected) =>
        Assert.Equal(expected, await InLanguageAsync(language, text => text.Count(count, "letter in the queue", "letters in the queue")));

    /// <summary>
    /// What <paramref name="read"/> reads of a request that asked for <paramref name="acceptLanguage"/>, through ASP.NET
    /// Core's request localization as the console runs it; and the language it chose.
    /// </summary>
    private static async Task<string> InLanguageAsync(string? acceptLanguage, Func<ConsoleText, string> read)
    {
        var context = new DefaultHttpContext();
        if (acceptLanguage is not null)
        {
            context.Request.Headers.AcceptLanguage = acceptLanguage;
        }

        string? result = null;
        var localization = new Microsoft.AspNetCore.Localization.RequestLocalizationMiddleware(
            _ => { result = read(ConsoleText.For(context)); return Task.CompletedTask; },
            Microsoft.Extensions.Options.Options.Create(ConsoleText.Localization()), Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        await localization.Invoke(context);
        return result!;
    }

    [Theory]
    [InlineData("pw", true)]
    [InlineData("pW", false)]
    [InlineData("pw ", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void The_password_should_match_exactly(string? attempt, bool matches) =>
        Assert.Equal(matches, new ConsoleSessions(new Secret("pw"), TimeProvider.System).IsPassword(attempt));

    [Fact]
    public void A_session_should_end_after_eight_hours_and_its_token_be_required_on_a_change()
    {
        var clock = new ManualClock(Noon);
        var sessions = new ConsoleSessions(new Secret("pw"), clock);
        var signIn = new DefaultHttpContext();
        sessions.SignIn(signIn);
        var cookie = signIn.Response.Headers.SetCookie.ToString();
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase);
        var id = cookie.Split(';')[0].Split('=', 2)[1];

        var later = new DefaultHttpContext();
        later.Request.Headers.Cookie = $"{ConsoleSessions.Cookie}={id}";
        var session = Assert.IsType<ConsoleSession>(sessions.Of(later));
        Assert.True(ConsoleSessions.CsrfMatches(session, new FormCollection(new() { [ConsoleSessions.CsrfField] = session.Csrf })));
        Assert.False(ConsoleSessions.CsrfMatches(session, new FormCollection(new() { [ConsoleSessions.CsrfField] = session.Csrf[..^1] })));
        Assert.False(ConsoleSessions.CsrfMatches(session, new FormCollection([])));

        clock.Now += ConsoleSessions.Lifetime;
        Assert.Null(sessions.Of(later));
    }

    [Theory]
    [InlineData(null, "en")]
    [InlineData("pt-BR", "pt-BR")]
    [InlineData("pt-BR,pt;q=0.9,en;q=0.8", "pt-BR")]
    [InlineData("pt", "pt-BR")]
    [InlineData("en-US,en;q=0.9,pt-BR;q=0.8", "en")]
    [InlineData("de-DE,pt;q=0.5", "pt-BR")]
    [InlineData("fr-FR", "en")]
    [InlineData("en;q=0.4,pt-PT;q=0.6", "pt-BR")]
    public async Task The_language_should_follow_the_browsers_preference_with_English_by_default(string? acceptLanguage, string language) =>
        Assert.Equal(language, await InLanguageAsync(acceptLanguage, text => text.Language));

    [Fact]
    public void Every_text_the_pages_look_up_should_be_in_both_resource_files()
    {
        // The pages' source names each text once as a literal; the ones looked up through text["…"] must be known.
        var root = Repository.PathOf("Acaso.Mail.Actors/Operator");
        var looked = Directory.GetFiles(root, "*.cs")
            .SelectMany(f => System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(f), "text\\[\"((?:[^\"\\\\]|\\\\.)+)\"\\]"))
            .Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.True(looked.Count > 40, $"only {looked.Count} texts found: the pattern no longer reads the pages");
        var english = ConsoleText.Known("en");
        var portuguese = ConsoleText.Known("pt-BR");
        Assert.DoesNotContain(looked, t => !portuguese.Contains(t));
        Assert.DoesNotContain(looked, t => !english.Contains(t));
        // The two files hold the same texts, and Portuguese is not English copied.
        Assert.True(english.SetEquals(portuguese), "ConsoleText.resx and ConsoleText.pt.resx name different texts");
    }

    [Theory]
    [InlineData("pt-BR", "Mensagens mortas")]
    [InlineData("pt-PT", "Mensagens mortas")]
    [InlineData("en-US", "Dead letters")]
    [InlineData("fr-FR", "Dead letters")]
    public async Task The_localizer_should_read_the_language_request_localization_chose(string acceptLanguage, string expected) =>
        Assert.Equal(expected, await InLanguageAsync(acceptLanguage, text => text["Dead letters"]));

    [Fact]
    public void A_persons_history_should_be_grouped_into_mails_newest_last()
    {
        HistoryEntry Line(int minute, string kind, params (string Name, object Value)[] fields) =>
            new(Noon.AddMinutes(minute), "maria@example.org", kind, fields.ToDictionary(f => f.Name, f => (object?)JsonSerializer.SerializeToElement(f.Value)));

        var mails = HistoryPage.Mails(
        [
            Line(0, "taken", ("template", 7), ("priority", 150)),
            Line(1, "taken", ("template", 7), ("priority", 150)), // taken again after a failed window: the same mail
            Line(2, "sent", ("template", 7), ("message_id", "<a@relay>")),
            Line(3, "taken", ("template", 9), ("priority", 40)),
            Line(4, "dead_lettered", ("reason", "expired")),
            Line(5, "delivered", ("message_id", "<a@relay>"), ("template", 7)),
            Line(6, "hard_bounce", ("message_id", "<unknown@relay>")),
        ]);

        Assert.Equal(3, mails.Count);
        Assert.Equal(["taken", "taken", "sent", "delivered"], mails[0].Select(l => l.Kind));
        Assert.Equal(["taken", "dead_lettered"], mails[1].Select(l => l.Kind));
        Assert.Equal(["hard_bounce"], mails[2].Select(l => l.Kind));
    }

    [Theory]
    [InlineData("maria@example.org", true)]
    [InlineData("a@b", true)]
    [InlineData("maria", false)]
    [InlineData("@example.org", false)]
    [InlineData("maria@", false)]
    [InlineData("ma ria@example.org", false)]
    [InlineData("a@b@c", false)]
    public void An_address_to_suppress_should_look_like_one(string email, bool accepted) =>
        Assert.Equal(accepted, SuppressionsPage.LooksLikeAddress(email));
}
