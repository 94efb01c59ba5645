using System.Text;
using Acaso.Mail.Actors.Brevo;
using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Settings;
using Acaso.Mail.Actors.Tests.Contract;
using Acaso.Mail.Actors.Tests.Support;

namespace Acaso.Mail.Actors.Tests.Brevo;

/// <summary>The Brevo client against the stand-in served by Kestrel on loopback: real HTTP, real status codes.</summary>
public sealed class BrevoClientSpecs : IAsyncLifetime
{
    private const string ApiKey = "xkeysib-SECRET-4f1d";
    private BrevoStandIn _brevo = null!;
    private BrevoClient _client = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _brevo = await BrevoStandIn.StartAsync(requiredApiKey: ApiKey, credits: 281);
        // Generous: the first requests to a fresh Kestrel on a loaded machine can take a while.
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        _client = new BrevoClient(_http, Settings(_brevo.BaseUrl, ApiKey));
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _brevo.DisposeAsync();
    }

    internal static BrevoSettings Settings(Uri url, string key) =>
        new(url, new Secret(key), false, TimeSpan.FromSeconds(2), 3, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1));

    private static byte[] Request(string email = "ana@example.org")
    {
        var parsed = MailRequestParser.Parse(Encoding.UTF8.GetBytes(MailRequestParserSpecs.Body(email: email)), 199,
            new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.Zero));
        return BrevoRequestRenderer.Render(parsed.Request!, Mails.Render);
    }

    [Fact]
    public async Task A_201_should_be_sent_with_its_message_id()
    {
        var outcome = await _client.SendAsync(Request(), CancellationToken.None);
        var sent = Assert.IsType<Sent>(outcome);
        Assert.StartsWith("<", sent.MessageId);
        Assert.Single(_brevo.Delivered);
        Assert.Equal(ApiKey, _brevo.Delivered[0].ApiKey);
    }

    [Fact]
    public async Task A_repeated_idempotency_key_should_count_as_sent_and_mail_once()
    {
        var body = Request();
        Assert.IsType<Sent>(await _client.SendAsync(body, CancellationToken.None));
        var again = Assert.IsType<Sent>(await _client.SendAsync(body, CancellationToken.None));
        Assert.True(again.WasDuplicate);
        Assert.Single(_brevo.Delivered);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    public async Task A_5xx_should_be_transient(int status)
    {
        _brevo.Script(new ScriptedAnswer(status, "internal_error"));
        var failure = Assert.IsType<TransientFailure>(await _client.SendAsync(Request(), CancellationToken.None));
        Assert.Equal("server_error", failure.Reason);
        Assert.Empty(_brevo.Delivered);
    }

    [Fact]
    public async Task A_429_should_be_transient_with_its_reset()
    {
        _brevo.Script(new ScriptedAnswer(429, "too_many_requests", RateLimitReset: 7));
        var failure = Assert.IsType<TransientFailure>(await _client.SendAsync(Request(), CancellationToken.None));
        Assert.Equal("rate_limited", failure.Reason);
        Assert.Equal(TimeSpan.FromSeconds(7), failure.RetryAfter);
    }

    [Fact]
    public async Task A_timeout_should_be_transient_and_ambiguous()
    {
        _brevo.Script(new ScriptedAnswer(201, Delay: TimeSpan.FromSeconds(3)));
        using var impatient = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
        var client = new BrevoClient(impatient, Settings(_brevo.BaseUrl, ApiKey));
        var failure = Assert.IsType<TransientFailure>(await client.SendAsync(Request(), CancellationToken.None));
        Assert.Equal("timeout", failure.Reason);
        Assert.True(failure.MayHaveCharged);
    }

    [Fact]
    public async Task A_refused_connection_should_be_transient_and_not_charged()
    {
        using var closed = ClosedPort.Any();
        using var client = new HttpClient();
        var refused = new BrevoClient(client, Settings(new Uri($"http://127.0.0.1:{closed.Port}/v3"), ApiKey));
        var failure = Assert.IsType<TransientFailure>(await refused.SendAsync(Request(), CancellationToken.None));
        Assert.Equal("connection_failed", failure.Reason);
        Assert.False(failure.MayHaveCharged);
    }

    [Theory]
    [InlineData(400, "invalid_parameter")]
    [InlineData(400, "missing_parameter")]
    [InlineData(404, "document_not_found")]
    public async Task Other_4xx_should_be_permanent_with_Brevos_code(int status, string code)
    {
        _brevo.Script(new ScriptedAnswer(status, code));
        var failure = Assert.IsType<PermanentFailure>(await _client.SendAsync(Request(), CancellationToken.None));
        Assert.Equal(status, failure.Status);
        Assert.Equal(code, failure.Code);
        Assert.False(failure.IsAccountProblem);
    }

    [Fact]
    public async Task A_wrong_key_should_be_an_account_problem_and_the_key_should_not_show_in_the_outcome()
    {
        var wrong = new BrevoClient(_http, Settings(_brevo.BaseUrl, "xkeysib-WRONG-77aa"));
        var failure = Assert.IsType<PermanentFailure>(await wrong.SendAsync(Request(), CancellationToken.None));
        Assert.Equal(401, failure.Status);
        Assert.True(failure.IsAccountProblem);
        Assert.DoesNotContain("WRONG-77aa", failure.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_credits_should_be_an_account_problem()
    {
        _brevo.Credits = 0;
        var failure = Assert.IsType<PermanentFailure>(await _client.SendAsync(Request(), CancellationToken.None));
        Assert.Equal("not_enough_credits", failure.Code);
        Assert.True(failure.IsAccountProblem);
    }

    [Fact]
    public async Task The_account_should_yield_the_free_plans_remaining_credits()
    {
        Assert.Equal(281, await _client.GetRemainingCreditsAsync(CancellationToken.None));
        await _client.SendAsync(Request(), CancellationToken.None);
        Assert.Equal(280, await _client.GetRemainingCreditsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task The_account_should_be_null_when_Brevo_cannot_say()
    {
        var wrong = new BrevoClient(_http, Settings(_brevo.BaseUrl, "bad"));
        Assert.Null(await wrong.GetRemainingCreditsAsync(CancellationToken.None));
    }
}
