using System.Text;
using System.Text.Json;
using Acaso.Mail.Actors.Cli;
using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Settings;
using Acaso.Mail.Actors.Tests.Support;

namespace Acaso.Mail.Actors.Tests.Cli;

public sealed class PreviewCommandSpecs
{
    private static readonly MailSettings Settings =
        SettingsLoader.Load(name => name == "SENDINBLUE_API_KEY" ? "xkeysib-PREVIEW-SECRET" : null);

    private static (int Code, string Out) Preview(string body, params string[] args)
    {
        var (code, output, _) = CommandLineRun.RunAsync(["preview", .. args], new Dictionary<string, string> { ["SENDINBLUE_API_KEY"] = "xkeysib-PREVIEW-SECRET" },
            body).GetAwaiter().GetResult();
        return (code, output);
    }

    [Fact]
    public void Preview_should_print_what_the_service_sends_byte_for_byte()
    {
        foreach (var sample in SharedContract.Samples())
        {
            var (code, output) = Preview(sample.Body, "--priority", sample.Priority.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--now", sample.PublishedAt.ToString("O"));
            Assert.Equal(0, code);
            var parsed = MailRequestParser.Parse(Encoding.UTF8.GetBytes(sample.Body), sample.Priority, sample.PublishedAt);
            Assert.Equal(Encoding.UTF8.GetString(BrevoRequestRenderer.Render(parsed.Request!, Settings.Render)), output.TrimEnd('\n'));
            var json = JsonDocument.Parse(output).RootElement;
            Assert.True(JsonElement.DeepEquals(sample.Expected.GetProperty("params"), json.GetProperty("params")), sample.ToString());
            Assert.DoesNotContain("PREVIEW-SECRET", output, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("[1]", "not_an_object")]
    [InlineData("{", "invalid_json")]
    public void Preview_should_print_the_rejection_and_exit_2(string body, string reason)
    {
        var (code, output) = Preview(body);
        Assert.Equal(2, code);
        var json = JsonDocument.Parse(output).RootElement;
        Assert.Equal(reason, json.GetProperty("rejected").GetString());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("detail").GetString()));
    }

    [Fact]
    public void Preview_should_reject_an_expired_mentoring_at_the_given_now()
    {
        var sample = SharedContract.Samples()[0];
        var (code, output) = Preview(sample.Body, "--now", "2027-01-01T00:00:00Z");
        Assert.Equal(2, code);
        Assert.Equal("expired", JsonDocument.Parse(output).RootElement.GetProperty("rejected").GetString());
    }
}
