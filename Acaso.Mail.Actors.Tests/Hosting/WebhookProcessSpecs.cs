using System.Net;
using System.Text;
using System.Text.Json;
using Acaso.Mail.Actors.Tests.Support;
using static Acaso.Mail.Actors.Tests.Support.ProcessAssertions;

namespace Acaso.Mail.Actors.Tests.Hosting;

/// <summary>
/// Brevo's webhook into the built service, and the suppression list it feeds, against the real broker: the stand-in
/// accepts a mail and reports what became of it to <c>/webhooks/brevo</c>, as Brevo does.
/// </summary>
[Trait("Loop", "Full")]
public sealed class WebhookProcessSpecs() : ProcessSpecs("xkeysib-WEBHOOK-SECRET-77d2", "webhook")
{
    private const string Token = "webhook-token-5f1e";

    private Dictionary<string, string> WithWebhook(int perHour = 5)
    {
        var environment = Environment(perHour);
        environment["MAIL_WEBHOOK_TOKEN"] = Token;
        Brevo.WebhookUrl = new Uri($"http://127.0.0.1:{MetricsPort}/webhooks/brevo");
        Brevo.WebhookToken = Token;
        return environment;
    }

    private async Task<HttpResponseMessage> PostAsync(string body, string? token = Token)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"http://127.0.0.1:{MetricsPort}/webhooks/brevo"))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (token is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return await http.SendAsync(request);
    }

    private async Task<double> EventsAsync(string name, string template) =>
        Sample(await ScrapeAsync("/metrics"), $"mail_delivery_events_total{{event=\"{name}\",template=\"{template}\"}}");

    [Fact]
    public async Task The_webhook_should_check_the_token_and_the_body_and_record_each_event_once_in_either_spelling()
    {
        await using var service = ServiceProcess.Start(WithWebhook());
        await Eventually(async () => await ReadyStatusAsync() == 200, TimeSpan.FromSeconds(30), "ready", service);
        const string one = """{"event": "softBounce", "email": "a@example.org", "message-id": "<1@relay>", "ts_epoch": 1764417600000, "template_id": 9}""";

        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(one, token: null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(one, token: "webhook-token-5f1f")).StatusCode);
        var malformed = await PostAsync("{\"event\": \"delivered\"");
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("not JSON", await malformed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var noEmail = await PostAsync("""{"event": "delivered"}""");
        Assert.Equal(HttpStatusCode.BadRequest, noEmail.StatusCode);
        Assert.Equal("no \"email\"", JsonDocument.Parse(await noEmail.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await PostAsync("[" + string.Join(",", Enumerable.Repeat(one, 12_000)) + "]")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await PostAsync(one)).StatusCode);
        // Brevo retries the same event (after 10 min, 1 h …), and the event log spells it in snake_case: one event all the same.
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(one)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(one.Replace("softBounce", "soft_bounce", StringComparison.Ordinal))).StatusCode);
        var batch = await PostAsync("""[{"event": "hard_bounce", "email": "b@example.org", "message-id": "<2@relay>", "ts_epoch": 1764417600001, "template_id": 7}, {"event": "proxyOpen", "email": "c@example.org", "ts_epoch": 1764417600002}]""");
        Assert.Equal(HttpStatusCode.Accepted, batch.StatusCode);

        await Eventually(async () => await EventsAsync("hard_bounce", "7") == 1, TimeSpan.FromSeconds(10), "the batch's hard bounce", service);
        Assert.Equal(1, await EventsAsync("soft_bounce", "9"));
        Assert.Equal(1, await EventsAsync("unknown", "unknown"));
        var (_, list, _) = await CliAsync("suppressions", "list");
        Assert.Contains("b@example.org", list, StringComparison.Ordinal);
        Assert.DoesNotContain("a@example.org", list, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKey, service.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("@example.org", service.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hard_bounce_should_stop_the_next_mail_before_any_token_or_Brevo_call_until_the_address_is_removed()
    {
        Brevo.Outcomes["mail-1@example.org"] = "hardBounce";
        await Publisher.PublishAsync(Mails.Body(1, DateTimeOffset.UtcNow.AddDays(2)), 150);
        await using var service = ServiceProcess.Start(WithWebhook());
        await Eventually(() => Task.FromResult(Brevo.Delivered.Count == 1), TimeSpan.FromSeconds(60), "the first mail", service);
        var (_, list, _) = (0, "", "");
        await Eventually(async () => (list = (await CliAsync("suppressions", "list")).Out).Contains("mail-1@example.org", StringComparison.Ordinal),
            TimeSpan.FromSeconds(15), "the bounce to suppress the address", service);
        Assert.Contains("hard_bounce", list, StringComparison.Ordinal);

        // A second mail to the bounced address: no Brevo request, no credit, dead-lettered as suppressed.
        var requests = Brevo.Requests;
        await Publisher.PublishAsync(Mails.Body(1, DateTimeOffset.UtcNow.AddDays(3)), 160);
        await Eventually(async () => await MetricAsync("mail_suppressed_total{reason=\"hard_bounce\"}") == 1, TimeSpan.FromSeconds(30), "the suppressed mail", service);
        // The suppression is counted as it is decided; its copy reaches the dead-letter queue a moment later.
        await Eventually(async () => await RabbitBroker.ReadyAsync(Queue.DeadLetterQueue) == 1, TimeSpan.FromSeconds(10), "the dead letter", service);
        var dead = Assert.Single(await RabbitBroker.DrainAsync(Queue.DeadLetterQueue));
        Assert.Equal("suppressed", Encoding.UTF8.GetString((byte[])dead.BasicProperties.Headers!["x-acaso-reason"]!));
        Assert.Equal(requests, Brevo.Requests);
        Assert.Equal(1, await MetricAsync("mail_tokens_spent_today"));

        // Removed from the list, the next mail to it goes out.
        Assert.Equal(0, (await CliAsync("suppressions", "remove", "mail-1@example.org")).Code);
        Brevo.Outcomes.Clear();
        await Publisher.PublishAsync(Mails.Body(1, DateTimeOffset.UtcNow.AddDays(4)), 170);
        await Eventually(() => Task.FromResult(Brevo.Delivered.Count == 2), TimeSpan.FromSeconds(30), "the mail after the removal", service);
        // The count follows Brevo's answer: the send settles and the keeper journals it a moment after the stand-in received it.
        await Eventually(async () => await MetricAsync("mail_tokens_spent_today") == 2, TimeSpan.FromSeconds(10), "the send to be counted", service);
    }

    [Fact]
    public async Task History_should_show_a_mail_taken_then_sent_then_delivered()
    {
        await Publisher.PublishAsync(Mails.Body(4, DateTimeOffset.UtcNow.AddDays(2)), 150);
        await using var service = ServiceProcess.Start(WithWebhook());
        await Eventually(() => Task.FromResult(Brevo.Delivered.Count == 1), TimeSpan.FromSeconds(60), "the mail", service);
        List<JsonElement> lines = [];
        await Eventually(async () =>
        {
            lines = (await CliAsync("history", "mail-4@example.org")).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
            return lines.Count >= 3;
        }, TimeSpan.FromSeconds(15), "three history lines", service);

        Assert.Equal(["taken", "sent", "delivered"], lines.Select(l => l.GetProperty("kind").GetString()));
        Assert.Equal(150, lines[0].GetProperty("priority").GetInt32());
        Assert.Equal(7, lines[0].GetProperty("template").GetInt32());
        var messageId = lines[1].GetProperty("message_id").GetString();
        Assert.StartsWith("<", messageId, StringComparison.Ordinal);
        Assert.Equal(1, lines[1].GetProperty("attempts").GetInt32());
        Assert.Equal(messageId, lines[2].GetProperty("message_id").GetString());
        Assert.Equal(7, lines[2].GetProperty("template").GetInt32());
        await Eventually(async () => await EventsAsync("delivered", "7") == 1, TimeSpan.FromSeconds(10), "the delivered event counted by template");
    }

    [Fact]
    public async Task Brevos_blocked_contacts_should_be_imported_at_start_when_asked_page_by_page()
    {
        foreach (var i in Enumerable.Range(0, 150))
        {
            Brevo.Blocked.Enqueue(($"blocked-{i}@example.org", i % 2 == 0 ? "hardBounce" : "contactFlaggedAsSpam"));
        }

        var environment = WithWebhook();
        environment["MAIL_SYNC_BREVO_BLOCKLIST"] = "true";
        await using var service = ServiceProcess.Start(environment);
        await Eventually(async () => (await CliAsync("suppressions", "list")).Out.StartsWith("150 suppressed", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "150 imported addresses", service);
        var (_, list, _) = await CliAsync("suppressions", "list");
        Assert.Contains("blocked-0@example.org", list, StringComparison.Ordinal);
        Assert.Contains("spam", list, StringComparison.Ordinal);
        Assert.Equal(2, Brevo.BlockedContactsRequests);
    }
}
