using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Acaso.Mail.Actors.Contract;

/// <summary>How requests are rendered: the zone dates are shown in, and whether Brevo should only validate.</summary>
/// <param name="Zone">The zone <c>MENTORING_DATE</c> and <c>MENTORING_HOUR</c> are shown in (<c>MAIL_TIMEZONE</c>).</param>
/// <param name="Sandbox">When true, every request carries <c>X-Sib-Sandbox: drop</c>: Brevo validates and sends nothing.</param>
public sealed record RenderOptions(TimeZoneInfo Zone, bool Sandbox = false);

/// <summary>
/// Renders a <see cref="MailRequest"/> into the exact JSON body of <c>POST /smtp/email</c>. The service and the
/// <c>preview</c> command both call this, so what preview prints is what Brevo receives, byte for byte.
/// </summary>
public static class BrevoRequestRenderer
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Names such as "João" stay readable; the body is JSON over HTTP, never embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The request body as UTF-8 JSON bytes.</summary>
    public static byte[] Render(MailRequest request, RenderOptions options)
    {
        var local = TimeZoneInfo.ConvertTime(request.Mentoring, options.Zone);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteNumber("templateId", (int)request.Template);
            json.WriteStartArray("to");
            json.WriteStartObject();
            json.WriteString("email", request.RecipientEmail);
            if (request.RecipientName is not null)
            {
                json.WriteString("name", request.RecipientName);
            }

            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteStartObject("params");
            foreach (var param in TemplateParams.For(request.Template))
            {
                var name = TemplateParams.WireName(param);
                var value = ValueOf(param, request, local);
                if (value is null)
                {
                    json.WriteNull(name);
                }
                else
                {
                    json.WriteString(name, value);
                }
            }

            json.WriteEndObject();
            json.WriteStartObject("headers");
            json.WriteString("idempotencyKey", request.IdempotencyKey.ToString("D"));
            if (options.Sandbox)
            {
                json.WriteString("X-Sib-Sandbox", "drop");
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static string? ValueOf(TemplateParam param, MailRequest request, DateTimeOffset local) => param switch
    {
        TemplateParam.MentorName => request.MentorName,
        TemplateParam.MentoredName => request.MentoredName,
        TemplateParam.MentorId => request.MentorId,
        TemplateParam.MentoredId => request.MentoredId,
        TemplateParam.MentoringDate => local.ToString("dd/MM/yyyy", CultureInfo.InvariantCulture),
        TemplateParam.MentoringHour => local.ToString("HH:mm", CultureInfo.InvariantCulture),
        TemplateParam.MentoringDateLimit => DateOnly.FromDateTime(local.DateTime).AddDays(-1).ToString("dd/MM/yyyy", CultureInfo.InvariantCulture),
        _ => throw new ArgumentOutOfRangeException(nameof(param)),
    };
}
