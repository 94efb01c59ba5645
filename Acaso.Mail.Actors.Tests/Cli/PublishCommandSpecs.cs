using Acaso.Mail.Actors.Cli;
using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Settings;
using Acaso.Mail.Actors.Tests.Support;

namespace Acaso.Mail.Actors.Tests.Cli;

/// <summary>The <c>publish</c> command: mail as Acaso's producer publishes it, to the real broker.</summary>
public sealed class PublishCommandSpecs : IAsyncLifetime
{
    private readonly QueueSettings _queue = RabbitBroker.NewQueue("publish");

    public async Task InitializeAsync() => await (await RabbitBroker.ConnectAsync()).DisposeAsync();

    public Task DisposeAsync() => RabbitBroker.DeleteAsync(_queue);

    private Dictionary<string, string> Environment() => new() { ["MAIL_QUEUE_NAME"] = _queue.Name };

    [Fact]
    public async Task Publish_should_put_valid_mail_with_the_producers_priority_on_the_queue_one_line_each()
    {
        var (code, stdout, _) = await CommandLineRun.RunAsync(["publish", "-n", "5", "--seed", "7"], Environment());
        Assert.Equal(0, code);
        Assert.Equal(5, stdout.ToString().Split('\n').Count(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^published \d+/5: template \d+, priority \d+")));

        var messages = await RabbitBroker.DrainAsync(_queue.Name);
        Assert.Equal(5, messages.Count);
        var now = DateTimeOffset.UtcNow;
        foreach (var message in messages)
        {
            var parsed = MailRequestParser.Parse(message.Body.Span, message.BasicProperties.Priority, now);
            Assert.True(parsed.IsValid, parsed.Rejection?.ToString());
            var priority = MentoringPriority.For(parsed.Request!.Mentoring, now);
            Assert.InRange(message.BasicProperties.Priority, priority, priority + 1);
            Assert.InRange(message.BasicProperties.Priority, 189, 200);
            Assert.Null(message.BasicProperties.ContentType);
        }

        // Highest priority first, as RabbitMQ keeps it.
        Assert.Equal(messages.Select(m => m.BasicProperties.Priority).OrderByDescending(p => p), messages.Select(m => m.BasicProperties.Priority));
    }

    [Fact]
    public async Task Publish_should_show_a_progress_bar_for_many_messages()
    {
        var (code, stdout, _) = await CommandLineRun.RunAsync(["publish", "-n", "200"], Environment());
        Assert.Equal(0, code);
        var lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("[####################] 200/200", StringComparison.Ordinal));
        Assert.Equal(200u, await RabbitBroker.ReadyAsync(_queue.Name));
    }

    [Fact]
    public async Task Publish_should_refuse_a_bad_count()
    {
        var (code, _, stderr) = await CommandLineRun.RunAsync(["publish", "-n", "many"], Environment());
        Assert.Equal(64, code);
        Assert.Contains("'many' for option '--count'", stderr, StringComparison.Ordinal);
        Assert.Contains("Try 'Acaso.Mail.Actors publish --help'", stderr, StringComparison.Ordinal);
    }
}
