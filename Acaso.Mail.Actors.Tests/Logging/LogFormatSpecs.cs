using System.Text.Json;
using Acaso.Mail.Actors.Tests.Support;
using static Acaso.Mail.Actors.Tests.Support.ProcessAssertions;

namespace Acaso.Mail.Actors.Tests.Logging;

/// <summary>What the service prints, read as Loki or Elasticsearch would read it, and as a data-protection officer would.</summary>
[Trait("Loop", "Full")]
public sealed class LogFormatSpecs() : ProcessSpecs("xkeysib-LOGS-SECRET-51c0", "logs")
{
    [Fact]
    public async Task With_MAIL_LOG_FORMAT_json_every_line_of_a_run_should_be_one_JSON_object_without_personal_data()
    {
        // 48 good mails (each with its recipient's name and address) and 2 bad ones, whose dead-letter detail must not echo them.
        for (var i = 0; i < 48; i++)
        {
            await Publisher.PublishAsync(Mails.Body(i, DateTimeOffset.UtcNow.AddDays(2)), (byte)(100 + i));
        }

        await Publisher.PublishAsync(Mails.Utf8("""{"mail_params": {"mentor_name": "Dr. Secret Mentor", "mentoring_datetime": "2026-13-40 10:00"}, "recipient": {"name": "Secret Person", "email": "secret.person@example.org"}, "template": 7}"""), 150);
        await Publisher.PublishAsync(Mails.Utf8("""{"mail_params": {"mentor_name": "Dr. Secret Mentor", "mentoring_datetime": "2026-11-27 10:00"}, "recipient": {"name": "Secret Person", "email": "not-an-address"}, "template": 7}"""), 150);

        var environment = Environment(perHour: 50);
        environment["MAIL_LOG_FORMAT"] = "json";
        await using var service = ServiceProcess.Start(environment);
        await Eventually(() => Task.FromResult(Brevo.Delivered.Count == 48), TimeSpan.FromSeconds(60), "48 mails sent", service);
        await Eventually(async () => await RabbitBroker.ReadyIfDeclaredAsync(Queue.DeadLetterQueue) == 2, TimeSpan.FromSeconds(30), "2 dead letters", service);
        service.Terminate();
        Assert.True(await service.WaitForExitAsync(TimeSpan.FromSeconds(30)), service.Output);

        var lines = service.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length > 5, service.Output);
        foreach (var line in lines)
        {
            using var json = ParseOrFail(line);
            foreach (var field in new[] { "timestamp", "level", "category", "message" })
            {
                Assert.True(json.RootElement.TryGetProperty(field, out _), $"no {field} in: {line}");
            }
        }

        // The structured fields travel as fields, and an actor's path is its category: here the actor of one mail, under its reader.
        Assert.Contains(lines, l => l.Contains("\"category\":\"akka://acaso-mail/user/queue-reader/reader/mail-", StringComparison.Ordinal)
                                    && l.Contains("\"Reason\":\"", StringComparison.Ordinal) && l.Contains("\"Priority\":150", StringComparison.Ordinal));
        foreach (var personal in new[] { "@example.org", "Secret Person", "Dr. Secret Mentor", "not-an-address", "Dr. Daniel Dias", "Ana Beatriz", ApiKey })
        {
            Assert.DoesNotContain(personal, service.Output, StringComparison.Ordinal);
        }
    }

    private static JsonDocument ParseOrFail(string line)
    {
        try
        {
            return JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new Xunit.Sdk.XunitException($"a line that is not one JSON object ({e.Message}): {line}");
        }
    }

    [Fact]
    public async Task The_text_format_should_carry_one_timestamp_a_line_and_no_Akka_prefix()
    {
        await Publisher.PublishAsync(Mails.Utf8("not json"), 150);
        await using var service = ServiceProcess.Start(Environment(perHour: 5));
        await Eventually(async () => await RabbitBroker.ReadyIfDeclaredAsync(Queue.DeadLetterQueue) == 1, TimeSpan.FromSeconds(60), "the dead letter", service);
        service.Terminate();
        Assert.True(await service.WaitForExitAsync(TimeSpan.FromSeconds(30)), service.Output);

        var lines = service.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, l => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (info|warn|error|debug|fatal)\s+\S.*?: ", l));
        Assert.DoesNotContain(lines, l => l.Contains("[INFO]", StringComparison.Ordinal) || l.Contains("[Thread", StringComparison.Ordinal));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l,
            @" akka://acaso-mail/user/queue-reader/reader/mail-\d+: Dead-lettering a message of priority 150: invalid_json"));
    }
}
