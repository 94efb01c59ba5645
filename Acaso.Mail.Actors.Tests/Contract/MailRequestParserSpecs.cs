using System.Text;
using System.Text.Json;
using Acaso.Mail.Actors.Contract;
using Acaso.Mail.Actors.Tests.Support;

namespace Acaso.Mail.Actors.Tests.Contract;

public sealed class MailRequestParserSpecs
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 1, 0, 0, TimeSpan.Zero);

    public static TheoryData<int> SampleLines() => [.. Enumerable.Range(1, SharedContract.Samples().Count)];

    [Theory]
    [MemberData(nameof(SampleLines))]
    public void Every_seed_sample_should_render_its_expected_Brevo_request(int line)
    {
        var sample = SharedContract.Samples()[line - 1];
        var result = MailRequestParser.Parse(Encoding.UTF8.GetBytes(sample.Body), sample.Priority, sample.PublishedAt);

        Assert.True(result.IsValid, $"sample {line} was rejected: {result.Rejection}");
        var rendered = JsonDocument.Parse(BrevoRequestRenderer.Render(result.Request!, Mails.Render)).RootElement;
        foreach (var property in new[] { "templateId", "to", "params" })
        {
            Assert.True(JsonElement.DeepEquals(sample.Expected.GetProperty(property), rendered.GetProperty(property)),
                $"sample {line}: {property} is {rendered.GetProperty(property)}, expected {sample.Expected.GetProperty(property)}");
        }

        Assert.Equal(result.Request!.IdempotencyKey.ToString("D"), rendered.GetProperty("headers").GetProperty("idempotencyKey").GetString());
    }

    [Fact]
    public void Params_should_follow_the_contract_table_order()
    {
        var rendered = Render(Body(template: 16));
        var names = rendered.GetProperty("params").EnumerateObject().Select(p => p.Name);
        Assert.Equal(["MENTOR_NAME", "MENTORED_NAME", "MENTORING_DATE_LIMIT", "MENTORING_DATE", "MENTORING_HOUR"], names);
    }

    [Fact]
    public void A_UTC_instant_that_is_the_previous_day_in_Recife_should_show_the_Recife_date()
    {
        // 02:30 UTC on 1 December is 23:30 on 30 November in Recife (UTC-3).
        var p = Render(Body(datetime: "2026-12-01T02:30:00Z")).GetProperty("params");
        Assert.Equal("30/11/2026", p.GetProperty("MENTORING_DATE").GetString());
        Assert.Equal("23:30", p.GetProperty("MENTORING_HOUR").GetString());
    }

    [Fact]
    public void A_value_without_offset_should_be_read_as_UTC()
    {
        var p = Render(Body(datetime: "2026-12-01 12:00:00")).GetProperty("params");
        Assert.Equal("09:00", p.GetProperty("MENTORING_HOUR").GetString());
    }

    [Fact]
    public void An_offset_carrying_value_should_keep_its_instant_not_the_old_three_hour_shift()
    {
        var p = Render(Body(datetime: "2026-12-01 21:55:57.141378-03:00")).GetProperty("params");
        Assert.Equal("21:55", p.GetProperty("MENTORING_HOUR").GetString());
    }

    [Fact]
    public void The_date_limit_should_be_the_day_before_across_a_month_end()
    {
        var p = Render(Body(template: 16, datetime: "2026-12-01 10:00:00-03:00")).GetProperty("params");
        Assert.Equal("01/12/2026", p.GetProperty("MENTORING_DATE").GetString());
        Assert.Equal("30/11/2026", p.GetProperty("MENTORING_DATE_LIMIT").GetString());
    }

    [Fact]
    public void The_date_limit_should_cross_a_year_end()
    {
        var p = Render(Body(template: 16, datetime: "2027-01-01T00:30:00-03:00")).GetProperty("params");
        Assert.Equal("31/12/2026", p.GetProperty("MENTORING_DATE_LIMIT").GetString());
    }

    [Theory]
    [InlineData("2026-12-01 10:00:00", "07:00")]
    [InlineData("2026-12-01T10:00:00Z", "07:00")]
    [InlineData("2026-12-01T10:00:00.1+00:00", "07:00")]
    [InlineData("2026-12-01T10:00:00.123456789-03:00", "10:00")]
    [InlineData("2026-12-01 10:00:00.141378-0300", "10:00")]
    [InlineData("2026-12-01T10:00-03:00", "10:00")]
    [InlineData("2026-12-01T13:00:00+03", "07:00")]
    public void Python_and_ISO_datetimes_should_be_accepted(string value, string recifeHour)
    {
        var p = Render(Body(datetime: value)).GetProperty("params");
        Assert.Equal(recifeHour, p.GetProperty("MENTORING_HOUR").GetString());
    }

    [Fact]
    public void Nulls_and_missing_optional_fields_should_be_fine_and_sent_as_null()
    {
        const string body = """{"mail_params": {"mentor_name": "Ana", "mentoring_datetime": "2026-12-01 10:00:00"}, "recipient": {"email": "a@example.org", "name": null}, "template": 11, "extra": [1,2]}""";
        var rendered = Render(body);
        Assert.Equal(JsonValueKind.Null, rendered.GetProperty("params").GetProperty("MENTOR_ID").ValueKind);
        Assert.Equal(JsonValueKind.Null, rendered.GetProperty("params").GetProperty("MENTORED_NAME").ValueKind);
        Assert.False(rendered.GetProperty("to")[0].TryGetProperty("name", out _));
    }

    [Fact]
    public void The_idempotency_key_should_be_stable_for_the_same_message_and_differ_for_another()
    {
        var a = Parse(Body(), 199).Request!.IdempotencyKey;
        var again = Parse(Body(), 199).Request!.IdempotencyKey;
        var other = Parse(Body(email: "b@example.org"), 199).Request!.IdempotencyKey;
        Assert.Equal(a, again);
        Assert.NotEqual(a, other);
    }

    [Fact]
    public void The_sandbox_switch_should_add_the_drop_header()
    {
        var request = Parse(Body(), 0).Request!;
        var json = JsonDocument.Parse(BrevoRequestRenderer.Render(request, Mails.Render with { Sandbox = true })).RootElement;
        Assert.Equal("drop", json.GetProperty("headers").GetProperty("X-Sib-Sandbox").GetString());
    }

    public static TheoryData<string, string> Rejects() => new()
    {
        { "{not json", RejectReasons.InvalidJson },
        { "", RejectReasons.InvalidJson },
        { "[1,2]", RejectReasons.NotAnObject },
        { "\"text\"", RejectReasons.NotAnObject },
        { """{"recipient": {"email": "a@example.org"}, "template": 7}""", RejectReasons.MissingField },
        { Body().Replace("\"template\": 7", "\"template\": \"7\""), RejectReasons.WrongType },
        { Body().Replace("\"template\": 7", "\"template\": 7.5"), RejectReasons.WrongType },
        { Body().Replace("\"mentor_name\": \"Dr. Daniel Dias\"", "\"mentor_name\": 12"), RejectReasons.WrongType },
        { Body().Replace("\"mentor_name\": \"Dr. Daniel Dias\",", ""), RejectReasons.MissingField },
        { Body().Replace("\"email\": \"ana@example.org\"", "\"email\": null"), RejectReasons.MissingField },
        { Body(template: 8), RejectReasons.UnknownTemplate },
        { Body(email: "not-an-address"), RejectReasons.InvalidEmail },
        { Body(email: "a@b"), RejectReasons.InvalidEmail },
        { Body(email: "Ana <ana@example.org>"), RejectReasons.InvalidEmail },
        { Body(datetime: "tomorrow at ten"), RejectReasons.InvalidDatetime },
        { Body(datetime: "2026-02-30 10:00:00"), RejectReasons.InvalidDatetime },
        { Body(datetime: "2026-12-01 25:00:00"), RejectReasons.InvalidDatetime },
        { new string('[', 40) + new string(']', 40), RejectReasons.TooDeep },
        // Valid JSON whose escapes name half a character: in a value, and in a property name the parser must look past
        // (the fuzzer found the second one throwing).
        { Body().Replace("Dr. Daniel Dias", "Dr. \\ud800"), RejectReasons.InvalidJson },
        { Body().Replace("{\"mail_params\"", "{\"\\ud800\": 1, \"mail_params\""), RejectReasons.InvalidJson },
        { Body().Replace("\"mentor_name\"", "\"\\udc00x\": 1, \"mentor_name\""), RejectReasons.InvalidJson },
        { Body(datetime: "2026-11-27 21:59:59-03:00"), RejectReasons.Expired },
    };

    [Theory]
    [MemberData(nameof(Rejects))]
    public void Bad_input_should_be_rejected_with_its_reason(string body, string reason)
    {
        var result = Parse(body, 100);
        Assert.False(result.IsValid);
        Assert.Equal(reason, result.Rejection!.Reason);
        Assert.False(string.IsNullOrWhiteSpace(result.Rejection.Detail));
    }

    [Theory]
    [InlineData("{\"mail_params\"", "{\"extra\": [\"ok\", \"\\ud800\"], \"mail_params\"", "extra[1]")]
    [InlineData("\"mentor_name\"", "\"\\udfff\": 1, \"mentor_name\"", "a property name in mail_params")]
    [InlineData("\"Dr. Daniel Dias\"", "\"Dr. \\udbff\\u0041\"", "mail_params.mentor_name")]
    public void Half_a_character_anywhere_should_be_invalid_json_naming_where(string from, string to, string where)
    {
        var result = Parse(Body().Replace(from, to), 100);
        Assert.Equal((RejectReasons.InvalidJson, $"{where} holds an unpaired UTF-16 surrogate escape"),
            (result.Rejection?.Reason, result.Rejection?.Detail));
    }

    [Fact]
    public void An_escaped_backslash_before_u_should_be_text_not_an_escape()
    {
        var result = Parse(Body().Replace("Dr. Daniel Dias", "Dr. \\\\ud800"), 100);
        Assert.True(result.IsValid, result.Rejection?.ToString());
        Assert.Equal("Dr. \\ud800", result.Request!.MentorName);
    }

    [Fact]
    public void An_escaped_surrogate_pair_should_be_one_character()
    {
        var result = Parse(Body().Replace("Dr. Daniel Dias", "Dr. Dias \\ud83d\\ude00"), 100);
        Assert.True(result.IsValid, result.Rejection?.ToString());
        Assert.Equal("Dr. Dias \U0001F600", result.Request!.MentorName);
    }

    [Fact]
    public void A_body_over_the_size_limit_should_be_too_large()
    {
        var body = Body().Replace("Dr. Daniel Dias", new string('x', 70 * 1024));
        Assert.Equal(RejectReasons.TooLarge, Parse(body, 1).Rejection!.Reason);
    }

    [Fact]
    public void Bytes_that_are_not_UTF8_should_be_not_utf8()
    {
        var bytes = Encoding.UTF8.GetBytes(Body()).Concat(new byte[] { 0xC3, 0x28 }).ToArray();
        Assert.Equal(RejectReasons.NotUtf8, MailRequestParser.Parse(bytes, 1, Now).Rejection!.Reason);
    }

    [Fact]
    public void A_mentoring_within_the_grace_should_still_be_sent()
    {
        var bytes = Encoding.UTF8.GetBytes(Body(datetime: "2026-11-28T00:50:00Z"));
        Assert.Equal(RejectReasons.Expired, MailRequestParser.Parse(bytes, 1, Now).Rejection!.Reason);
        Assert.True(MailRequestParser.Parse(bytes, 1, Now, new ParserOptions(ExpiryGrace: TimeSpan.FromMinutes(15))).IsValid);
    }

    internal static string Body(int template = 7, string email = "ana@example.org", string datetime = "2026-12-01 21:55:57.141378-03:00") =>
        $$"""{"mail_params": {"mentor_name": "Dr. Daniel Dias", "mentoring_datetime": "{{datetime}}", "mentored_name": "Ana Beatriz Rodrigues", "mentor_id": null, "mentored_id": "6f1c"}, "recipient": {"name": "Ana Beatriz Rodrigues", "email": "{{email}}"}, "template": {{template}}}""";

    private static ParseResult Parse(string body, byte priority) => MailRequestParser.Parse(Encoding.UTF8.GetBytes(body), priority, Now);

    private static JsonElement Render(string body)
    {
        var result = Parse(body, 100);
        Assert.True(result.IsValid, result.Rejection?.ToString());
        return JsonDocument.Parse(BrevoRequestRenderer.Render(result.Request!, Mails.Render)).RootElement;
    }
}
