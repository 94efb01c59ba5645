using System.Text;
using Acaso.Mail.Actors.Cli;
using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Queue;
using Acaso.Mail.Actors.Settings;
using Acaso.Mail.Actors.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Acaso.Mail.Actors.Tests.Cli;

/// <summary>The operator's dead-letter tools against the real broker.</summary>
public sealed class DeadLettersCommandSpecs : IAsyncLifetime
{
    private readonly QueueSettings _queue = RabbitBroker.NewQueue("dlq");
    private RabbitMailQueue _mailQueue = null!;

    public async Task InitializeAsync()
    {
        await (await RabbitBroker.ConnectAsync()).DisposeAsync();
        _mailQueue = new RabbitPullQueue(_queue, NullLogger<RabbitPullQueue>.Instance);
        await using var publisher = await RabbitBroker.PublisherAsync(_queue);
        await publisher.PublishAsync(Mails.Body(1, DateTimeOffset.UtcNow.AddDays(-1)), 201);
        await publisher.PublishAsync(Mails.Utf8("not json"), 150);
        await publisher.PublishAsync(Mails.Body(2, DateTimeOffset.UtcNow.AddDays(-2), MailTemplate.NotifySubscribedUsersMentoringCanceled), 202);

        // Dead-letter them the way the reader does, in the order it takes them (202, 201, 150).
        foreach (var (reason, detail) in new[] { ("expired", "passed"), ("expired", "passed"), ("invalid_json", "bad") })
        {
            var message = (await _mailQueue.TakeAsync())!;
            await _mailQueue.DeadLetterAsync(message, reason, detail);
        }
    }

    public async Task DisposeAsync()
    {
        await _mailQueue.DisposeAsync();
        await RabbitBroker.DeleteAsync(_queue);
    }

    private async Task<(int Code, string Out)> RunAsync(params string[] args)
    {
        var (code, output, _) = await CommandLineRun.RunAsync(["dead-letters", .. args], new Dictionary<string, string> { ["MAIL_QUEUE_NAME"] = _queue.Name });
        return (code, output);
    }

    [Fact]
    public async Task List_should_count_by_reason_and_show_the_latest_entries_and_leave_them_in_place()
    {
        var (code, output) = await RunAsync("list");
        Assert.Equal(0, code);
        Assert.Contains("3 message(s)", output, StringComparison.Ordinal);
        Assert.Contains("     2  expired", output, StringComparison.Ordinal);
        Assert.Contains("     1  invalid_json", output, StringComparison.Ordinal);
        Assert.Contains("mail-2@example.org", output, StringComparison.Ordinal);
        Assert.Contains("      11", output, StringComparison.Ordinal);
        Assert.Equal(3u, await RabbitBroker.ReadyAsync(_queue.DeadLetterQueue));
    }

    [Fact]
    public async Task List_should_show_a_letter_whose_body_holds_half_a_character()
    {
        // Refused as invalid_json for its "\ud800" escapes; reading its recipient for the list must not throw either.
        await using (var publisher = await RabbitBroker.PublisherAsync(_queue))
        {
            await publisher.PublishAsync(Mails.Utf8("{\"\\ud800\": 1, \"recipient\": {\"email\": \"a\\udc00@example.org\"}, \"template\": 7}"), 120);
        }

        var message = (await _mailQueue.TakeAsync())!;
        var refused = MailRequestParser.Parse(message.Body, message.Priority, DateTimeOffset.UtcNow).Rejection!;
        Assert.Equal(RejectReasons.InvalidJson, refused.Reason);
        await _mailQueue.DeadLetterAsync(message, refused.Reason, refused.Detail);

        var (code, output) = await RunAsync("list");
        Assert.Equal(0, code);
        Assert.Contains("4 message(s)", output, StringComparison.Ordinal);
        Assert.Contains("     2  invalid_json", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_should_move_messages_of_a_reason_back_with_their_priority_and_body()
    {
        var (code, output) = await RunAsync("replay", "--reason", "expired", "--limit", "1");
        Assert.Equal(0, code);
        Assert.Contains("replayed 1 message(s)", output, StringComparison.Ordinal);
        Assert.Equal(2u, await RabbitBroker.ReadyAsync(_queue.DeadLetterQueue));

        // Into the durable inbox (MAIL_DURABLE_INBOX is on by default), persistent, where the reader takes.
        Assert.Contains($"to '{_queue.Inbox}'", output, StringComparison.Ordinal);
        var back = Assert.Single(await RabbitBroker.DrainAsync(_queue.Inbox));
        Assert.Equal(202, back.BasicProperties.Priority);
        Assert.True(back.BasicProperties.Persistent);
        Assert.Contains("mail-2@example.org", Encoding.UTF8.GetString(back.Body.Span), StringComparison.Ordinal);
        Assert.Contains("\"template\":11", Encoding.UTF8.GetString(back.Body.Span), StringComparison.Ordinal);
        Assert.True(back.BasicProperties.Headers is null || !back.BasicProperties.Headers.Keys.Any(k => k.StartsWith("x-acaso-", StringComparison.Ordinal)));

        (_, output) = await RunAsync("replay");
        Assert.Contains("replayed 2 message(s)", output, StringComparison.Ordinal);
        Assert.Equal(0u, await RabbitBroker.ReadyAsync(_queue.DeadLetterQueue));
    }

    [Fact]
    public async Task A_letter_should_be_replayed_or_discarded_by_its_id_alone()
    {
        var letters = await new DeadLetterQueue(_queue).ListAsync();
        Assert.Equal(3, letters.Select(l => l.Id).Distinct().Count());
        Assert.All(letters, l => Assert.Matches("^[0-9a-f]{12}$", l.Id));
        var (_, list) = await RunAsync("list");
        Assert.All(letters, l => Assert.Contains(l.Id, list, StringComparison.Ordinal));
        var mail2 = letters.Single(l => l.Recipient == "mail-2@example.org");
        var bad = letters.Single(l => l.Reason == "invalid_json");

        var (code, output) = await RunAsync("replay", "--id", mail2.Id);
        Assert.Equal(0, code);
        Assert.Contains("replayed 1 message(s)", output, StringComparison.Ordinal);
        var back = Assert.Single(await RabbitBroker.DrainAsync(_queue.Inbox));
        Assert.Equal(2, Mails.IndexOf(back.Body.Span));

        Assert.Equal(0, (await RunAsync("discard", bad.Id)).Code);
        Assert.Equal(ExitCodes.Refused, (await RunAsync("discard", bad.Id)).Code);
        // The ids of the letters left do not change as others leave.
        Assert.Equal([letters.Single(l => l.Recipient == "mail-1@example.org").Id], (await new DeadLetterQueue(_queue).ListAsync()).Select(l => l.Id));
    }
}
