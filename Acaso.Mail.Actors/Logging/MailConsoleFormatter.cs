using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Acaso.Mail.Actors.Logging;

/// <summary>
/// The service's two line formats (<c>MAIL_LOG_FORMAT</c>): <c>text</c>, one timestamp, the level, the category (an
/// actor's path) and the message; <c>json</c>, one object a line with <c>timestamp</c>, <c>level</c>, <c>category</c>,
/// <c>message</c>, the template's named fields and <c>exception</c>, for Loki or Elasticsearch.
/// </summary>
public abstract class MailConsoleFormatter(string name, bool json) : ConsoleFormatter(name)
{
    /// <summary>The formatter name of the text format.</summary>
    public const string Text = "acaso-text";

    /// <summary>The formatter name of the JSON format.</summary>
    public const string Json = "acaso-json";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <inheritdoc />
    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        var timestamp = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        var level = Level(logEntry.LogLevel);
        if (!json)
        {
            textWriter.Write($"{timestamp} {level,-5} {logEntry.Category}: {message}");
            if (logEntry.Exception is { } exception)
            {
                textWriter.Write($" | {exception.GetType().Name}: {exception.Message}");
            }

            textWriter.Write(Environment.NewLine);
            return;
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("timestamp", timestamp);
            writer.WriteString("level", level);
            writer.WriteString("category", logEntry.Category);
            writer.WriteString("message", message);
            if (logEntry.State is IEnumerable<KeyValuePair<string, object?>> fields)
            {
                foreach (var (key, value) in fields)
                {
                    if (key is "{OriginalFormat}" or "timestamp" or "level" or "category" or "message" or "exception")
                    {
                        continue;
                    }

                    WriteValue(writer, key, value);
                }
            }

            if (logEntry.Exception is { } exception)
            {
                writer.WriteString("exception", $"{exception.GetType().Name}: {exception.Message}");
            }

            writer.WriteEndObject();
        }

        textWriter.Write(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        textWriter.Write(Environment.NewLine);
    }

    private static void WriteValue(Utf8JsonWriter writer, string key, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNull(key);
                break;
            case bool b:
                writer.WriteBoolean(key, b);
                break;
            case byte or short or int or long or uint or ulong or ushort or sbyte:
                writer.WriteNumber(key, Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case float or double or decimal:
                writer.WriteNumber(key, Convert.ToDouble(value, CultureInfo.InvariantCulture));
                break;
            default:
                writer.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "error",
        LogLevel.Critical => "fatal",
        _ => "none",
    };
}

/// <summary>The text line format.</summary>
public sealed class TextLineFormatter() : MailConsoleFormatter(Text, json: false);

/// <summary>The JSON line format.</summary>
public sealed class JsonLineFormatter() : MailConsoleFormatter(Json, json: true);

/// <summary>Options of the console formatters (none: the format is in the name).</summary>
public sealed class MailConsoleFormatterOptions : ConsoleFormatterOptions;

/// <summary>Sets up the service's logging.</summary>
public static class MailLogging
{
    /// <summary>The console in <paramref name="json"/> or text format, and quiet framework categories.</summary>
    public static ILoggingBuilder AddMailConsole(this ILoggingBuilder logging, bool json)
    {
        logging.ClearProviders();
        logging.AddConsole(o => o.FormatterName = json ? MailConsoleFormatter.Json : MailConsoleFormatter.Text);
        logging.AddConsoleFormatter<TextLineFormatter, MailConsoleFormatterOptions>();
        logging.AddConsoleFormatter<JsonLineFormatter, MailConsoleFormatterOptions>();
        logging.AddFilter("Microsoft", LogLevel.Warning);
        logging.AddFilter("System.Net.Http", LogLevel.Warning);
        logging.AddFilter("Quartz", LogLevel.Warning);
        return logging;
    }

    /// <summary>A logger factory with the console alone, for the lines a verb prints before or without a host.</summary>
    public static ILoggerFactory ConsoleFactory(bool json) => LoggerFactory.Create(l => l.AddMailConsole(json));
}
