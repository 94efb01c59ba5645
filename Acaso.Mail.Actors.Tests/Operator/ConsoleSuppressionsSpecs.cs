using System.Text.RegularExpressions;
using Acaso.Mail.Actors.Delivery;
using Acaso.Mail.Actors.Operator;
using Acaso.Mail.Actors.Tests.Support;
using static Acaso.Mail.Actors.Tests.Support.ProcessAssertions;

namespace Acaso.Mail.Actors.Tests.Operator;

/// <summary>The suppressions page on the real process over a long list: searched in the store, a hundred a page.</summary>
[Trait("Loop", "Full")]
public sealed partial class ConsoleSuppressionsSpecs() : ProcessSpecs("xkeysib-suppressions-page", "suppressions-page")
{
    private const string Password = "suppressions-page-password";

    [GeneratedRegex("<tbody>(.*?)</tbody>", RegexOptions.Singleline)]
    private static partial Regex Body();

    private static int Rows(string page) => Regex.Matches(Body().Match(page).Groups[1].Value, "<tr>").Count;

    [Fact]
    public async Task A_long_list_should_show_a_hundred_a_page_newest_first_and_search_with_wildcards_taken_literally()
    {
        var store = new SqliteDeliveryStore(StateDir);
        var start = DateTimeOffset.UtcNow.AddDays(-1);
        for (var i = 0; i < 150; i++)
        {
            store.Suppress(new Suppression($"bulk{i:D3}@example.net", "spam", start.AddMinutes(i), "webhook"));
        }

        store.Suppress(new Suppression("under_score@example.org", "operator", start, "operator"));
        var environment = Environment(perHour: 5);
        environment["MAIL_CONSOLE_PASSWORD"] = Password;
        await using var service = ServiceProcess.Start(environment);
        await Eventually(async () => (await GetAsync("/console/login")).Code == 200, TimeSpan.FromSeconds(30), "the console", service);
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer() });
        var console = new Uri($"http://127.0.0.1:{MetricsPort}/console/");
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.PostAsync(new Uri(console, "login"), new FormUrlEncodedContent([new("password", Password)]))).StatusCode);

        var first = await http.GetStringAsync(new Uri(console, "suppressions"));
        Assert.Contains("<strong data-count=\"suppressions\">151</strong>", first, StringComparison.Ordinal);
        Assert.Equal(SuppressionsPage.PageSize, Rows(first));
        Assert.True(first.IndexOf("bulk149@", StringComparison.Ordinal) < first.IndexOf("bulk148@", StringComparison.Ordinal), "newest first");
        Assert.Contains("data-pages=\"2\"", first, StringComparison.Ordinal);
        Assert.Contains("href=\"/console/suppressions?q=&amp;page=2\" rel=\"next\"", first, StringComparison.Ordinal);

        var second = await http.GetStringAsync(new Uri(console, "suppressions?page=2"));
        Assert.Equal(51, Rows(second));
        Assert.Contains("rel=\"prev\"", second, StringComparison.Ordinal);

        Assert.Equal(10, Rows(await http.GetStringAsync(new Uri(console, "suppressions?q=bulk14"))));
        // An underscore is a letter of the address, not LIKE's any-character.
        var underscore = await http.GetStringAsync(new Uri(console, "suppressions?q=" + Uri.EscapeDataString("r_s")));
        Assert.Equal(1, Rows(underscore));
        Assert.Contains("under_score@example.org", underscore, StringComparison.Ordinal);
        Assert.Equal(0, Rows(await http.GetStringAsync(new Uri(console, "suppressions?q=" + Uri.EscapeDataString("k_1")))));
    }
}
