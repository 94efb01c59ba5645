using System.Text.Json;
using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Tests.Support;
using FsCheck;
using FsCheck.Fluent;

namespace Acaso.Mail.Actors.Tests.Contract;

/// <summary>10,000 random and mutated bodies at the parser: nothing escapes, every body is accepted or refused with a known reason.</summary>
public sealed class ParserFuzzSpecs
{
    [Fact]
    public void The_parser_should_accept_or_refuse_with_a_known_reason_any_of_10000_random_and_mutated_bodies()
    {
        var now = DateTimeOffset.UtcNow;
        var seeds = Arb.From(Gen.Choose(0, int.MaxValue));
        var property = Prop.ForAll(seeds, seed =>
        {
            var body = BodyFuzzer.Make(seed);
            var priority = (byte)(seed % 256);
            var result = MailRequestParser.Parse(body, priority, now);
            if (result.Request is { } request)
            {
                // Whatever is accepted renders to a JSON object Brevo can read.
                using var json = JsonDocument.Parse(BrevoRequestRenderer.Render(request, Mails.Render));
                return json.RootElement.GetProperty("templateId").GetInt32() == (int)request.Template;
            }

            return RejectReasons.All.Contains(result.Rejection!.Reason) && result.Rejection.Detail.Length > 0;
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(10_000), property);
    }

    /// <summary>Seeds the fuzz run above once found throwing (it draws new seeds every run): each stays a refusal.</summary>
    [Theory]
    [InlineData(153950669, RejectReasons.InvalidJson)]
    public void A_body_that_once_escaped_the_parser_should_be_refused_with_its_reason(int seed, string reason)
    {
        var result = MailRequestParser.Parse(BodyFuzzer.Make(seed), (byte)(seed % 256), DateTimeOffset.UtcNow);
        Assert.Equal(reason, result.Rejection?.Reason);
    }

    [Fact]
    public void The_fuzzer_should_reach_every_body_reason_so_the_fuzz_test_means_something()
    {
        var now = DateTimeOffset.UtcNow;
        var reasons = Enumerable.Range(0, 10_000)
            .Select(seed => MailRequestParser.Parse(BodyFuzzer.Make(seed), 100, now).Rejection?.Reason ?? "valid")
            .ToHashSet();
        Assert.Superset(new HashSet<string>
        {
            "valid", RejectReasons.InvalidJson, RejectReasons.NotAnObject, RejectReasons.MissingField, RejectReasons.WrongType,
            RejectReasons.NotUtf8, RejectReasons.InvalidEmail, RejectReasons.InvalidDatetime, RejectReasons.UnknownTemplate, RejectReasons.TooDeep,
        }, reasons);
    }
}
