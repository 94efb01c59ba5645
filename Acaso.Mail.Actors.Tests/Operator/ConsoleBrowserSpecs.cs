using System.Globalization;
using System.Net;
using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Tests.Support;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using static Acaso.Mail.Actors.Tests.Support.ProcessAssertions;

namespace Acaso.Mail.Actors.Tests.Operator;

/// <summary>
/// The operator console end to end: the built service as a process on the real broker, the Brevo stand-in, and
/// Debian's Chromium driven by Playwright. Each spec saves its pages' screenshots under <c>docs/console/</c> (the
/// README shows them).
/// </summary>
[Collection(ThreeProcessCollection.Name)]
[Trait("Loop", "Full")]
public sealed class ConsoleBrowserSpecs() : ProcessSpecs("xkeysib-CONSOLE-SECRET-41c7", "console"), IAsyncLifetime
{
    private const string Password = "console-password-8d3f-never-printed";
    private const string WebhookToken = "console-webhook-1a2b";
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        (_playwright, _browser) = await Chromium.LaunchAsync();
    }

    public override async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await base.DisposeAsync();
    }

    private Dictionary<string, string> WithConsole(int perHour = 5)
    {
        var environment = Environment(perHour, dailyLimit: 20);
        environment["MAIL_CONSOLE_PASSWORD"] = Password;
        // The spec's own requests stand for a proxy's, whose X-Forwarded-Proto counts.
        environment["MAIL_TRUSTED_PROXIES"] = "127.0.0.1";
        environment["MAIL_WEBHOOK_TOKEN"] = WebhookToken;
        Brevo.WebhookUrl = new Uri($"http://127.0.0.1:{MetricsPort}/webhooks/brevo");
        Brevo.WebhookToken = WebhookToken;
        return environment;
    }

    private string Url(string path) => $"http://127.0.0.1:{MetricsPort}{path}";

    /// <summary>
    /// A browser context whose waits allow for a machine that runs three-node specs beside this one: Playwright's 30 s
    /// default has run out on a sign-in's redirect under a full run (the deadline is a bound, not a speed claim).
    /// </summary>
    private async Task<IBrowserContext> NewContextAsync(BrowserNewContextOptions? options = null)
    {
        var context = await _browser.NewContextAsync(options);
        context.SetDefaultTimeout(90_000);
        context.SetDefaultNavigationTimeout(90_000);
        return context;
    }

    private async Task<IPage> SignedInPageAsync(BrowserNewContextOptions? options = null)
    {
        var context = await NewContextAsync(options ?? new BrowserNewContextOptions { ViewportSize = new() { Width = 1200, Height = 900 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(Url("/console/login"));
        await page.FillAsync("#password", Password);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(Url("/console"));
        return page;
    }

    /// <summary>
    /// Saves the page's screenshot under <c>docs/console/</c>, after axe-core found no WCAG 2 A or AA violation on it
    /// (contrast, labels, names, landmarks, the document's language).
    /// </summary>
    private static async Task ScreenshotAsync(IPage page, string name)
    {
        var axe = await page.RunAxe(new AxeRunOptions { RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
        Assert.True(axe.Violations.Length == 0, $"{name}: " + string.Join("; ", axe.Violations.Select(v =>
            $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Html))}")));
        var directory = Path.Combine(RepositoryRoot(), "docs", "console");
        Directory.CreateDirectory(directory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, name + ".png"), FullPage = true });
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Acaso.Mail.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("no Acaso.Mail.sln above " + AppContext.BaseDirectory);
    }

    private static double Number(string text, CultureInfo culture) => double.Parse(text.Trim().Split(' ')[0], NumberStyles.Number, culture);

    private async Task<HttpStatusCode> LoginStatusAsync(HttpClient http, string password, string? forwardedProto = null)
    {
        var (status, cookie) = await ConsoleSignIn.PostAsync(http, new Uri(Url("/console/login")), password, forwardedProto: forwardedProto);
        if (forwardedProto is not null)
        {
            Assert.DoesNotContain('\n', cookie);
            Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        }

        return status;
    }

    [Fact]
    public async Task The_console_should_be_off_without_a_password_and_with_one_let_nobody_in_without_it()
    {
        await using (var off = ServiceProcess.Start(Environment(5)))
        {
            await Eventually(async () => await ReadyStatusAsync() == 200, TimeSpan.FromSeconds(30), "ready", off);
            using var plain = new HttpClient();
            Assert.Equal(HttpStatusCode.NotFound, (await plain.GetAsync(Url("/console"))).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await plain.GetAsync(Url("/console/login"))).StatusCode);
        }

        await using var service = ServiceProcess.Start(WithConsole());
        await Eventually(async () => await ReadyStatusAsync() == 200, TimeSpan.FromSeconds(30), "ready", service);
        var context = await NewContextAsync();
        var page = await context.NewPageAsync();

        // Without a session every page is the sign-in, with no data on it.
        foreach (var path in new[] { "/console", "/console/dead-letters", "/console/suppressions", "/console/history?email=mail-1@example.org" })
        {
            await page.GotoAsync(Url(path));
            Assert.Equal(Url("/console/login"), page.Url);
            Assert.Equal(0, await page.Locator("table, nav, dl").CountAsync());
        }

        await ScreenshotAsync(page, "login");
        await page.FillAsync("#password", "not-the-password");
        var wrong = await page.RunAndWaitForResponseAsync(() => page.ClickAsync("button[type=submit]"),
            r => r.Url == Url("/console/login") && r.Request.Method == "POST");
        Assert.Equal(401, wrong.Status);
        Assert.Contains("Wrong password", await page.InnerTextAsync("#login-error"), StringComparison.Ordinal);

        await page.FillAsync("#password", Password);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(Url("/console"));
        Assert.Equal("Today", await page.InnerTextAsync("h1"));
        var cookie = Assert.Single(await context.CookiesAsync(), c => c.Name == "acaso_console");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.False(cookie.Secure);
        Assert.InRange(cookie.Expires - DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 7.9 * 3600, 8 * 3600 + 60);

        // The session's cookie is not enough to change anything: a POST without the form's token, or with another, is refused.
        var form = context.APIRequest.CreateFormData();
        form.Set("email", "forged@example.org");
        Assert.Equal(400, (await context.APIRequest.PostAsync(Url("/console/suppressions/add"), new() { Form = form, MaxRedirects = 0 })).Status);
        form.Set("csrf", "guessed-token");
        Assert.Equal(400, (await context.APIRequest.PostAsync(Url("/console/suppressions/add"), new() { Form = form, MaxRedirects = 0 })).Status);
        Assert.Equal(400, (await context.APIRequest.PostAsync(Url("/console/dead-letters/replay-reason"), new() { Form = form, MaxRedirects = 0 })).Status);
        Assert.DoesNotContain("forged@example.org", (await CliAsync("suppressions", "list")).Out, StringComparison.Ordinal);

        // Two tries so far from 127.0.0.1. Behind a proxy that says HTTPS, the cookie is Secure (try 3); two more wrong
        // ones are still checked (4, 5); the sixth within the minute is refused before any check, right password or not.
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });
        Assert.Equal(HttpStatusCode.Redirect, await LoginStatusAsync(http, Password, forwardedProto: "https"));
        Assert.Equal(HttpStatusCode.Unauthorized, await LoginStatusAsync(http, "wrong-4"));
        Assert.Equal(HttpStatusCode.Unauthorized, await LoginStatusAsync(http, "wrong-5"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await LoginStatusAsync(http, Password));

        // Signing out ends the session on the server: the old cookie opens nothing.
        await page.ClickAsync("header button[type=submit]");
        await page.WaitForURLAsync(Url("/console/login"));
        await context.AddCookiesAsync([new Microsoft.Playwright.Cookie { Name = cookie.Name, Value = cookie.Value, Domain = cookie.Domain, Path = cookie.Path }]);
        await page.GotoAsync(Url("/console"));
        Assert.Equal(Url("/console/login"), page.Url);
        Assert.DoesNotContain(Password, service.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Today_should_show_what_metrics_says_in_English_or_Portuguese_and_fit_a_phone()
    {
        await Publisher.PublishAsync(Mails.Body(1, DateTimeOffset.UtcNow.AddDays(5)), 120);
        await Publisher.PublishAsync(Mails.Body(2, DateTimeOffset.UtcNow.AddDays(4)), 130);
        await Publisher.PublishAsync(Mails.Body(3, DateTimeOffset.UtcNow.AddHours(20)), 220);
        await Publisher.PublishAsync(Mails.Utf8("this is not json"), 50);
        await using var service = ServiceProcess.Start(WithConsole(perHour: 5));
        await Eventually(async () => Brevo.Delivered.Count == 3 && await MetricAsync("mail_tokens_spent_today") == 3
                                     && await MetricAsync("mail_dead_letters_total{reason=\"invalid_json\"}") == 1,
            TimeSpan.FromSeconds(60), "three sends and a dead letter", service);

        var page = await SignedInPageAsync();
        // The chart reads the history, which the Delivery actor writes a moment after the sends.
        await Eventually(async () =>
        {
            await page.ReloadAsync();
            return await page.Locator("#window-chart g[data-sent]").EvaluateAllAsync<int>("gs => gs.reduce((n, g) => n + Number(g.dataset.sent), 0)") == 3;
        }, TimeSpan.FromSeconds(15), "the chart to count three sends", service);
        Assert.Equal(1, await page.Locator("#window-chart g[data-urgent]").EvaluateAllAsync<int>("gs => gs.reduce((n, g) => n + Number(g.dataset.urgent), 0)"));

        // The page and /metrics read the same gauges. A window opens every two seconds here, and each one's take
        // holds a token in flight for a moment, so a read is taken again until a scrape just before the page and one
        // just after agree with each other; the page must then show exactly what they say.
        var english = CultureInfo.GetCultureInfo("en-US");
        string[] gauges = ["mail_tokens_spent_today", "mail_tokens_left_today", "mail_window_tokens_left", "mail_tokens_borrowed", "mail_queue_depth"];
        var metrics = "";
        var shown = new Dictionary<string, double>();
        await Eventually(async () =>
        {
            var before = await ScrapeAsync("/metrics");
            await page.ReloadAsync();
            metrics = await ScrapeAsync("/metrics");
            foreach (var series in gauges)
            {
                shown[series] = Number(await page.InnerTextAsync($"[data-metric={series}]"), english);
            }

            return gauges.All(g => Sample(before, g) == Sample(metrics, g) && shown[g] == Sample(metrics, g));
        }, TimeSpan.FromSeconds(20), "the page to show what two scrapes around it agree on", service);

        Assert.Equal(-1, Sample(metrics, "mail_queue_head_priority"));
        Assert.Equal("empty", await page.InnerTextAsync("[data-metric=mail_queue_head_priority]"));
        Assert.Equal(20, Number(await page.InnerTextAsync("[data-metric=daily_limit]"), english));
        Assert.Equal(Sample(metrics, "mail_dead_letters_total{reason=\"invalid_json\"}"), Number(await page.InnerTextAsync("[data-dead-letters=invalid_json]"), english));
        Assert.Contains("This node runs alone.", await page.InnerTextAsync("main"), StringComparison.Ordinal);
        await ScreenshotAsync(page, "today");

        // A phone, in Portuguese, with the keyboard alone: the sign-in field has the focus, Enter signs in.
        var phone = await (await NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new() { Width = 390, Height = 844 }, Locale = "pt-BR", IsMobile = true, HasTouch = true,
            ExtraHTTPHeaders = new Dictionary<string, string> { ["Accept-Language"] = "pt-BR,pt;q=0.9,en;q=0.5" },
        })).NewPageAsync();
        await phone.GotoAsync(Url("/console"));
        Assert.Equal("Entrar", await phone.InnerTextAsync("h1"));
        // The field takes the focus by itself (autofocus, applied once the page has loaded): then the keys go to it.
        await phone.WaitForFunctionAsync("document.activeElement && document.activeElement.id === 'password'");
        await phone.Keyboard.TypeAsync(Password);
        await phone.Keyboard.PressAsync("Enter");
        await phone.WaitForURLAsync(Url("/console"));
        Assert.Equal("Hoje", await phone.InnerTextAsync("h1"));
        Assert.Equal("pt-BR", await phone.GetAttributeAsync("html", "lang"));
        Assert.Contains("Mensagens mortas", await phone.InnerTextAsync("nav"), StringComparison.Ordinal);
        Assert.Equal("vazia", await phone.InnerTextAsync("[data-metric=mail_queue_head_priority]"));
        // As above: a window's take may hold a token in flight at the moment of a read.
        await Eventually(async () =>
        {
            var before = Sample(await ScrapeAsync("/metrics"), "mail_tokens_left_today");
            await phone.ReloadAsync();
            var after = Sample(await ScrapeAsync("/metrics"), "mail_tokens_left_today");
            return before == after
                   && Number(await phone.InnerTextAsync("[data-metric=mail_tokens_left_today]"), CultureInfo.GetCultureInfo("pt-BR")) == after;
        }, TimeSpan.FromSeconds(20), "the phone's page to show the tokens left that two scrapes around it agree on", service);
        // One column: no sideways scroll, and every card starts at the same left edge.
        Assert.True(await phone.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways on a phone");
        var lefts = await phone.Locator(".cards > div").EvaluateAllAsync<double[]>("ds => ds.map(d => d.getBoundingClientRect().left)");
        Assert.True(lefts.Length >= 4);
        Assert.Single(lefts.Distinct());
        await ScreenshotAsync(phone, "today-phone-pt-BR");

        // The keyboard reaches the navigation: Tab from the top lands on the skip link, then on each page.
        await phone.GotoAsync(Url("/console/dead-letters"));
        await phone.Keyboard.PressAsync("Tab");
        Assert.Equal("Pular para o conteúdo", await phone.EvaluateAsync<string>("document.activeElement.textContent"));
        Assert.Equal("Motivo", await phone.InnerTextAsync("label[for=reason]"));
        await ScreenshotAsync(phone, "dead-letters-phone-pt-BR");
    }

    [Fact]
    public async Task A_suppression_added_in_the_console_should_stop_the_next_mail_and_its_dead_letter_replayed_should_reach_Brevo()
    {
        await using var service = ServiceProcess.Start(WithConsole());
        await Eventually(async () => await ReadyStatusAsync() == 200, TimeSpan.FromSeconds(30), "ready", service);
        var page = await SignedInPageAsync();

        await page.GotoAsync(Url("/console/suppressions"));
        await page.FillAsync("#email", "Mail-1@Example.org");
        await page.FillAsync("#add-reason", "asked to stop");
        await page.ClickAsync("#add");
        Assert.Contains("mail-1@example.org", await page.InnerTextAsync(".flash"), StringComparison.Ordinal);
        Assert.Contains("asked to stop", (await CliAsync("suppressions", "list")).Out, StringComparison.Ordinal);

        await Publisher.PublishAsync(Mails.Body(1, DateTimeOffset.UtcNow.AddDays(3)), 150);
        await Publisher.PublishAsync(Mails.Utf8("{\"template\": 7"), 40);
        await Eventually(async () => await MetricAsync("mail_dead_letters_total{reason=\"suppressed\"}") == 1
                                     && await MetricAsync("mail_dead_letters_total{reason=\"invalid_json\"}") == 1,
            TimeSpan.FromSeconds(30), "the suppressed mail and the bad body dead-lettered", service);
        Assert.Empty(Brevo.Delivered);
        await page.GotoAsync(Url("/console/suppressions?q=mail-1"));
        Assert.Equal(1, await page.Locator("#suppressions tbody tr").CountAsync());
        await ScreenshotAsync(page, "suppressions");

        await page.ClickAsync("#suppressions button.danger");
        Assert.Contains("removed", await page.InnerTextAsync(".flash"), StringComparison.Ordinal);
        Assert.DoesNotContain("mail-1@example.org", (await CliAsync("suppressions", "list")).Out, StringComparison.Ordinal);

        await page.GotoAsync(Url("/console/dead-letters"));
        Assert.Equal("2", await page.InnerTextAsync("[data-count=letters]"));
        await ScreenshotAsync(page, "dead-letters");
        await page.SelectOptionAsync("#reason", "suppressed");
        await page.ClickAsync("main form button[type=submit]");
        Assert.Equal(1, await page.Locator("#dead-letters tbody tr").CountAsync());
        Assert.Contains("mail-1@example.org", await page.InnerTextAsync("#dead-letters"), StringComparison.Ordinal);
        await page.ClickAsync("[data-replay]");
        Assert.Contains("Replay this letter?", await page.InnerTextAsync("main"), StringComparison.Ordinal);
        await ScreenshotAsync(page, "dead-letters-confirm");
        await page.ClickAsync("#confirm");
        Assert.Contains("1 letters replayed", await page.InnerTextAsync(".flash"), StringComparison.Ordinal);
        await Eventually(() => Task.FromResult(Brevo.Delivered.Count == 1), TimeSpan.FromSeconds(30), "the replayed mail at Brevo", service);
        Assert.Equal(1, Mails.IndexOf(Brevo.Delivered.Single()));

        // The bad body is discarded for good, after its confirmation.
        await page.GotoAsync(Url("/console/dead-letters"));
        await page.ClickAsync("[data-discard]");
        await page.ClickAsync("#confirm");
        Assert.Contains("1 letter discarded", await page.InnerTextAsync(".flash"), StringComparison.Ordinal);
        Assert.Empty(await new DeadLetterQueue(Queue).ListAsync());

        // Each change is kept in the history store and listed at the foot of Today.
        await page.GotoAsync(Url("/console"));
        var changes = await page.Locator("#operator-changes tbody tr").AllInnerTextsAsync();
        Assert.Equal(4, changes.Count);
        Assert.Contains(changes, c => c.Contains("suppression_added", StringComparison.Ordinal) && c.Contains("mail-1@example.org", StringComparison.Ordinal));
        Assert.Contains(changes, c => c.Contains("suppression_removed", StringComparison.Ordinal));
        Assert.Contains(changes, c => c.Contains("dead_letters_replayed", StringComparison.Ordinal));
        Assert.Contains(changes, c => c.Contains("dead_letter_discarded", StringComparison.Ordinal));
        Assert.Equal(4, new Acaso.Mail.Actors.Delivery.SqliteDeliveryStore(StateDir).History(Acaso.Mail.Actors.Operator.OperatorLog.Key).Count);
        Assert.DoesNotContain("@example.org", service.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task History_should_show_a_persons_mail_taken_then_sent_then_delivered()
    {
        await Publisher.PublishAsync(Mails.Body(4, DateTimeOffset.UtcNow.AddDays(2)), 150);
        await using var service = ServiceProcess.Start(WithConsole());
        await Eventually(() => Task.FromResult(Brevo.Delivered.Count == 1), TimeSpan.FromSeconds(60), "the mail", service);
        var page = await SignedInPageAsync();
        await page.GotoAsync(Url("/console/history"));
        await page.FillAsync("#email", "mail-4@example.org");
        await page.ClickAsync("main form button[type=submit]");
        await Eventually(async () =>
        {
            await page.ReloadAsync();
            return await page.Locator("[data-mail] li").CountAsync() >= 3;
        }, TimeSpan.FromSeconds(15), "three history lines", service);

        Assert.Equal(1, await page.Locator("[data-mail]").CountAsync());
        Assert.Equal(["taken", "sent", "delivered"], await page.Locator("[data-mail] li").EvaluateAllAsync<string[]>("ls => ls.map(l => l.dataset.kind)"));
        Assert.Contains("priority 150", await page.InnerTextAsync("[data-mail] li[data-kind=taken]"), StringComparison.Ordinal);
        await ScreenshotAsync(page, "history");
        Assert.DoesNotContain("mail-4@example.org", service.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Without_the_broker_the_dead_letters_page_should_say_so_and_the_rest_of_the_console_answer()
    {
        using var closed = ClosedPort.Any();
        var environment = WithConsole();
        environment["QUEUE_SERVICE_URL"] = $"amqp://guest:guest@127.0.0.1:{closed.Port}/";
        await using var service = ServiceProcess.Start(environment);
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() });
        await Eventually(async () => await ReadyStatusAsync() == 503, TimeSpan.FromSeconds(30), "/readyz to answer (503: no broker)", service);
        var signIn = await http.PostAsync(new Uri(Url("/console/login")), new FormUrlEncodedContent([new("password", Password)]));
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        Assert.Contains("<h1>Today</h1>", await signIn.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var dead = await http.GetAsync(new Uri(Url("/console/dead-letters")));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, dead.StatusCode);
        Assert.Contains("The broker cannot be reached", await dead.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(Url("/console/suppressions")))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(Url("/console")))).StatusCode);
        Assert.False(service.HasExited);
    }
}
