using System.Text.Json;
using Acaso.Mail.Actors.Tests.Support;
using static Acaso.Mail.Actors.Tests.Support.ProcessAssertions;

namespace Acaso.Mail.Actors.Tests.Operator;

/// <summary>
/// Markup in every field a producer or an operator controls, on the real process: each page that shows the field shows
/// it as text, and no page makes an element of it.
/// </summary>
[Trait("Loop", "Full")]
public sealed class ConsoleMarkupSpecs() : ProcessSpecs("xkeysib-markup", "markup")
{
    private const string Password = "markup-console-password";

    /// <summary>Breaks out of an attribute and opens an element; no whitespace, so it passes for an address's local part.</summary>
    private const string Markup = "\"'><b/data-injected>x</b>";

    /// <summary>How the markup reads when a page shows it as text.</summary>
    private const string AsText = "&lt;b/data-injected&gt;x&lt;/b&gt;";

    /// <summary>The element the markup makes if it reaches the page raw, whether in text or out of an attribute it broke.</summary>
    private static void AssertNoElementFromMarkup(string path, string html) =>
        Assert.False(html.Contains("<b/data-injected", StringComparison.OrdinalIgnoreCase), $"{path} made an element of the markup");

    [Fact]
    public async Task Markup_in_every_field_should_show_as_text_and_make_no_element_on_any_page()
    {
        var address = Markup + "@example.org";
        // The recipient's address and name, the template and a mail parameter, each markup; and a body that is not JSON.
        await Publisher.PublishAsync(JsonSerializer.SerializeToUtf8Bytes(new
        {
            mail_params = new { mentor_name = Markup, mentoring_datetime = "2027-01-10 10:00:00-03:00", mentored_name = Markup, mentor_id = (string?)null, mentored_id = Markup },
            recipient = new { name = Markup, email = address },
            template = 7,
        }), 150);
        await Publisher.PublishAsync(JsonSerializer.SerializeToUtf8Bytes(new
        {
            mail_params = new { mentor_name = "Dr. Daniel Dias", mentoring_datetime = "2027-01-10 10:00:00-03:00" },
            recipient = new { name = "Ana", email = "ana@example.org" },
            template = Markup,
        }), 140);
        await Publisher.PublishAsync(Mails.Utf8(Markup), 130);

        var environment = Environment(perHour: 5);
        environment["MAIL_CONSOLE_PASSWORD"] = Password;
        await using var service = ServiceProcess.Start(environment);
        await Eventually(async () => (await ReadyStatusAsync()) == 200 && await RabbitBroker.ReadyAsync(Queue.DeadLetterQueue) == 3, TimeSpan.FromSeconds(30),
            "the three bodies dead-lettered", service);

        using var http = new HttpClient(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer() });
        var console = new Uri($"http://127.0.0.1:{MetricsPort}/console/");
        var signIn = await http.PostAsync(new Uri(console, "login"), new FormUrlEncodedContent([new("password", Password)]));
        var page = await signIn.Content.ReadAsStringAsync();
        var token = System.Text.RegularExpressions.Regex.Match(page, "name=\"csrf\" value=\"([^\"]+)\"").Groups[1].Value;

        // An operator's own input: a suppression of the markup address (its flash echoes it), and a history query.
        var added = await http.PostAsync(new Uri(console, "suppressions/add"), new FormUrlEncodedContent([new("email", address), new("reason", Markup), new("csrf", token)]));
        var afterAdd = await added.Content.ReadAsStringAsync();

        var pages = new Dictionary<string, (string Html, bool Shows)>
        {
            ["today"] = (await http.GetStringAsync(new Uri(console, "")), false),
            ["dead letters (recipient, template's error, body's parse error)"] = (await http.GetStringAsync(new Uri(console, "dead-letters")), true),
            ["dead letters filtered by the markup"] = (await http.GetStringAsync(new Uri(console, "dead-letters?reason=" + Uri.EscapeDataString(Markup))), false),
            ["the replay's confirmation of the markup reason"] = (await http.GetStringAsync(new Uri(console, "dead-letters/confirm?action=replay-reason&reason=" + Uri.EscapeDataString(Markup))), true),
            ["suppressions after the add (the flash)"] = (afterAdd, true),
            ["suppressions (address and reason)"] = (await http.GetStringAsync(new Uri(console, "suppressions")), true),
            ["suppressions searched by the markup"] = (await http.GetStringAsync(new Uri(console, "suppressions?q=" + Uri.EscapeDataString(Markup))), true),
            ["history queried by the markup"] = (await http.GetStringAsync(new Uri(console, "history?email=" + Uri.EscapeDataString(address))), true),
        };
        foreach (var (path, (html, shows)) in pages)
        {
            AssertNoElementFromMarkup(path, html);
            if (shows)
            {
                Assert.True(html.Contains(AsText, StringComparison.Ordinal), $"{path} does not show the markup as text");
            }
        }
    }
}
