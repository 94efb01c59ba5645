using Akka.Actor;
using Akka.DependencyInjection;
using Akka.Dispatch;
using Akka.Event;
using Microsoft.Extensions.Logging;
using MelLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Acaso.Mail.Actors.Logging;

/// <summary>
/// Akka.NET's logger for the service: hands each log event to Microsoft.Extensions.Logging with the actor path as the
/// category and the message template's named fields as structured state, so a line carries one timestamp and no
/// Akka prefix of its own (<c>[INFO][date][Thread][path]</c>), and the JSON format can carry the fields.
/// </summary>
public sealed class AkkaToMicrosoftLogger : ActorBase, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private readonly Dictionary<string, ILogger> _loggers = [];
    private readonly ILoggerFactory _factory;

    /// <summary>Creates the logger over the host's <see cref="ILoggerFactory"/>.</summary>
    public AkkaToMicrosoftLogger() =>
        _factory = DependencyResolver.For(Context.System).Resolver.GetService<ILoggerFactory>();

    /// <inheritdoc />
    protected override bool Receive(object message)
    {
        switch (message)
        {
            case InitializeLogger:
                Sender.Tell(new LoggerInitialized());
                return true;
            case LogEvent log:
                Write(log);
                return true;
            default:
                return false;
        }
    }

    private void Write(LogEvent log)
    {
        if (!_loggers.TryGetValue(log.LogSource, out var logger))
        {
            logger = _loggers[log.LogSource] = _factory.CreateLogger(log.LogSource);
        }

        var level = log.LogLevel() switch
        {
            Akka.Event.LogLevel.DebugLevel => MelLevel.Debug,
            Akka.Event.LogLevel.InfoLevel => MelLevel.Information,
            Akka.Event.LogLevel.WarningLevel => MelLevel.Warning,
            _ => MelLevel.Error,
        };
        if (!logger.IsEnabled(level))
        {
            return;
        }

        var state = new List<KeyValuePair<string, object?>>();
        if (log.Message is LogMessage template)
        {
            foreach (var (name, value) in template.GetProperties())
            {
                state.Add(new(name, value));
            }

            state.Add(new("{OriginalFormat}", template.Format));
        }

        var text = log.Message?.ToString() ?? "";
        logger.Log(level, default, state, log.Cause, (_, _) => text);
    }
}
