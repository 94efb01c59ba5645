using System.Text;
using Acaso.Mail.Actors.Contract;

namespace Acaso.Mail.Actors.Tests.Support;

/// <summary>
/// Makes message bodies for fuzzing from a seed: the shared samples mutated (bytes flipped, cut, spliced, fields
/// retyped), random bytes, random JSON of any shape and depth, and valid mail. Deterministic per seed.
/// </summary>
public static class BodyFuzzer
{
    private static readonly string[] Samples = SharedContract.Samples().Select(s => s.Body).ToArray();

    private static readonly string[] JsonValues =
        ["null", "true", "0", "-1", "7", "16", "2147483648", "1e400", "\"\"", "\"x\"", "[]", "{}", "[[[]]]", "\"2026-13-45 99:99:99\"",
         "\"a@b\"", "\"ana@example.org\"", "\"2026-12-01T10:00:00Z\"", "\"\\ud800\"", "{\"email\": 1}", "1.5"];

    private static readonly string[] Fields =
        ["mail_params", "recipient", "template", "mentor_name", "mentoring_datetime", "mentored_name", "mentor_id", "mentored_id", "email", "name"];

    public static byte[] Make(int seed)
    {
        var random = new Random(seed);
        return (seed % 8) switch
        {
            0 => RandomBytes(random),
            1 when random.Next(2) == 0 => Encoding.UTF8.GetBytes(DeepJson(random, random.Next(8, 60))),
            1 => Encoding.UTF8.GetBytes(RandomJson(random, random.Next(0, 40))),
            2 => Mails.Body(seed, DateTimeOffset.UtcNow.AddDays(random.Next(1, 10))),
            3 => RetypeField(random),
            _ => MutateBytes(random),
        };
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 300)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string RandomJson(Random random, int depth)
    {
        if (depth <= 0)
        {
            return JsonValues[random.Next(JsonValues.Length)];
        }

        return random.Next(3) switch
        {
            0 => "[" + RandomJson(random, depth - 1) + "]",
            1 => "{\"" + Fields[random.Next(Fields.Length)] + "\": " + RandomJson(random, depth - 1) + "}",
            _ => JsonValues[random.Next(JsonValues.Length)],
        };
    }

    private static string DeepJson(Random random, int depth) =>
        depth <= 0 ? JsonValues[random.Next(JsonValues.Length)]
        : random.Next(2) == 0 ? "[" + DeepJson(random, depth - 1) + "]"
        : "{\"" + Fields[random.Next(Fields.Length)] + "\": " + DeepJson(random, depth - 1) + "}";

    private static byte[] RetypeField(Random random)
    {
        var body = Samples[random.Next(Samples.Length)];
        var field = Fields[random.Next(Fields.Length)];
        var at = body.IndexOf("\"" + field + "\": ", StringComparison.Ordinal);
        if (at < 0)
        {
            return Encoding.UTF8.GetBytes(body);
        }

        var valueStart = at + field.Length + 4;
        var valueEnd = valueStart;
        var depth = 0;
        var inString = false;
        for (; valueEnd < body.Length; valueEnd++)
        {
            var c = body[valueEnd];
            if (inString)
            {
                if (c == '\\') { valueEnd++; }
                else if (c == '"') { inString = false; }
                continue;
            }

            if (c == '"') { inString = true; }
            else if (c is '{' or '[') { depth++; }
            else if (c is '}' or ']') { if (depth == 0) { break; } depth--; }
            else if (c == ',' && depth == 0) { break; }
        }

        return Encoding.UTF8.GetBytes(body[..valueStart] + RandomJson(random, random.Next(0, 3)) + body[valueEnd..]);
    }

    private static byte[] MutateBytes(Random random)
    {
        var bytes = Encoding.UTF8.GetBytes(Samples[random.Next(Samples.Length)]).ToList();
        var mutations = random.Next(1, 6);
        for (var i = 0; i < mutations && bytes.Count > 0; i++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 1:
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, random.Next(1, 30)));
                    break;
                case 2:
                    bytes.InsertRange(at, Encoding.UTF8.GetBytes(JsonValues[random.Next(JsonValues.Length)]));
                    break;
                case 3:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                default:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
            }
        }

        return bytes.ToArray();
    }
}
