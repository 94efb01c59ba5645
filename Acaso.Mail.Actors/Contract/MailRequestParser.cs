using System.Net.Mail;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Unicode;

namespace Acaso.Mail.Actors.Contract;

/// <summary>Limits and clock the parser applies to every message.</summary>
/// <param name="MaxBodyBytes">Bodies larger than this are refused as <c>too_large</c>.</param>
/// <param name="MaxDepth">JSON nested deeper than this is refused as <c>too_deep</c>.</param>
/// <param name="ExpiryGrace">A mentoring this long past "now" is still sent; older is <c>expired</c>.</param>
public sealed record ParserOptions(int MaxBodyBytes = 64 * 1024, int MaxDepth = 16, TimeSpan ExpiryGrace = default)
{
    public static readonly ParserOptions Default = new();
}

/// <summary>
/// Turns one queue message (body bytes and AMQP priority) into a <see cref="MailRequest"/>, or a
/// <see cref="Rejection"/> with a stable reason. Never throws on any input.
/// </summary>
public static class MailRequestParser
{
    /// <summary>Parses and validates a message body at the instant <paramref name="now"/>.</summary>
    public static ParseResult Parse(ReadOnlySpan<byte> body, byte priority, DateTimeOffset now, ParserOptions? options = null)
    {
        options ??= ParserOptions.Default;
        if (body.Length > options.MaxBodyBytes)
        {
            return ParseResult.Reject(RejectReasons.TooLarge, $"body is {body.Length} bytes, the limit is {options.MaxBodyBytes}");
        }

        if (!Utf8.IsValid(body))
        {
            return ParseResult.Reject(RejectReasons.NotUtf8, "body is not valid UTF-8");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = options.MaxDepth });
        }
        catch (JsonException e) when (e.Message.Contains("maximum configured depth", StringComparison.OrdinalIgnoreCase))
        {
            return ParseResult.Reject(RejectReasons.TooDeep, $"JSON nests deeper than {options.MaxDepth} levels");
        }
        catch (JsonException e)
        {
            return ParseResult.Reject(RejectReasons.InvalidJson, FirstLine(e.Message));
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return ParseResult.Reject(RejectReasons.NotAnObject, $"body is a JSON {Kind(root.ValueKind)}, not an object");
            }

            if (JsonText.UnpairedSurrogate(body, root) is { } where)
            {
                return ParseResult.Reject(RejectReasons.InvalidJson, $"{where} holds an unpaired UTF-16 surrogate escape");
            }

            var reader = new FieldReader();
            var mailParams = reader.Object(root, "mail_params", "mail_params");
            var recipient = reader.Object(root, "recipient", "recipient");
            var templateId = reader.Integer(root, "template", "template");
            if (reader.Failure is { } early)
            {
                return early;
            }

            var mentorName = reader.String(mailParams!.Value, "mentor_name", "mail_params.mentor_name", required: true);
            var datetimeText = reader.String(mailParams.Value, "mentoring_datetime", "mail_params.mentoring_datetime", required: true);
            var mentoredName = reader.String(mailParams.Value, "mentored_name", "mail_params.mentored_name", required: false);
            var mentorId = reader.String(mailParams.Value, "mentor_id", "mail_params.mentor_id", required: false);
            var mentoredId = reader.String(mailParams.Value, "mentored_id", "mail_params.mentored_id", required: false);
            var email = reader.String(recipient!.Value, "email", "recipient.email", required: true);
            var recipientName = reader.String(recipient.Value, "name", "recipient.name", required: false);
            if (reader.Failure is { } fieldFailure)
            {
                return fieldFailure;
            }

            if (!Enum.IsDefined(typeof(MailTemplate), templateId!.Value))
            {
                return ParseResult.Reject(RejectReasons.UnknownTemplate, $"template {templateId} is not one of 7, 9, 10, 11, 16");
            }

            if (!IsValidEmail(email!))
            {
                return ParseResult.Reject(RejectReasons.InvalidEmail, $"recipient.email is not a valid address");
            }

            if (!MentoringDateTime.TryParse(datetimeText!, out var mentoring))
            {
                return ParseResult.Reject(RejectReasons.InvalidDatetime, "mail_params.mentoring_datetime is neither Python str(datetime) nor ISO 8601");
            }

            if (mentoring + options.ExpiryGrace < now)
            {
                return ParseResult.Reject(RejectReasons.Expired, $"the mentoring at {mentoring:O} has passed (now {now:O})");
            }

            return ParseResult.Ok(new MailRequest(
                (MailTemplate)templateId.Value, email!, recipientName, mentorName!, mentoredName, mentorId, mentoredId,
                mentoring, priority, IdempotencyKeyOf(body, priority)));
        }
    }

    /// <summary>
    /// A UUID derived from the message itself (the producer sets no message id): the same bytes and priority
    /// always give the same key, so a retry or a redelivery cannot mail twice.
    /// </summary>
    public static Guid IdempotencyKeyOf(ReadOnlySpan<byte> body, byte priority)
    {
        Span<byte> hash = stackalloc byte[32];
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(body);
        sha.AppendData([priority]);
        sha.GetHashAndReset(hash);
        // Shape the first 16 bytes as an RFC 9562 version-8 (custom) UUID.
        var bytes = hash[..16].ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }

    private static bool IsValidEmail(string email)
    {
        if (email.Length is 0 or > 254 || email.Any(char.IsWhiteSpace) || email.Count(c => c == '@') != 1)
        {
            return false;
        }

        var at = email.IndexOf('@');
        var domain = email[(at + 1)..];
        if (at == 0 || domain.Length == 0 || !domain.Contains('.') || domain.StartsWith('.') || domain.EndsWith('.') || domain.Contains(".."))
        {
            return false;
        }

        // MailAddress accepts display-name forms ("A <a@b.c>"); the raw address must be all there is.
        return MailAddress.TryCreate(email, out var parsed) && parsed.Address == email && string.IsNullOrEmpty(parsed.DisplayName);
    }

    private static string FirstLine(string message)
    {
        var line = message.Split('\n')[0].Trim();
        return Truncate(line, 200);
    }

    private static string Truncate(string value, int max = 64) => value.Length <= max ? value : value[..max] + "…";

    private static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>Reads fields and keeps the first failure, so the parse reads as a list of fields.</summary>
    private sealed class FieldReader
    {
        public ParseResult? Failure { get; private set; }

        public JsonElement? Object(JsonElement parent, string name, string path)
        {
            if (Failure is not null)
            {
                return null;
            }

            if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                Failure = ParseResult.Reject(RejectReasons.MissingField, $"{path} is missing");
                return null;
            }

            if (value.ValueKind != JsonValueKind.Object)
            {
                Failure = ParseResult.Reject(RejectReasons.WrongType, $"{path} is a {Kind(value.ValueKind)}, expected an object");
                return null;
            }

            return value;
        }

        public int? Integer(JsonElement parent, string name, string path)
        {
            if (Failure is not null)
            {
                return null;
            }

            if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                Failure = ParseResult.Reject(RejectReasons.MissingField, $"{path} is missing");
                return null;
            }

            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number))
            {
                Failure = ParseResult.Reject(RejectReasons.WrongType, $"{path} is a {Kind(value.ValueKind)}, expected an integer");
                return null;
            }

            return number;
        }

        public string? String(JsonElement parent, string name, string path, bool required)
        {
            if (Failure is not null)
            {
                return null;
            }

            if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                if (required)
                {
                    Failure = ParseResult.Reject(RejectReasons.MissingField, $"{path} is missing");
                }

                return null;
            }

            if (value.ValueKind != JsonValueKind.String)
            {
                Failure = ParseResult.Reject(RejectReasons.WrongType, $"{path} is a {Kind(value.ValueKind)}, expected a string");
                return null;
            }

            // Parse has already refused any string no UTF-16 string can hold.
            return value.GetString();
        }
    }
}
