using Acaso.Mail.Actors.Settings;
using Akka.Hosting;

namespace Acaso.Mail.Actors.Logging;

/// <summary>The Akka configuration every host of the actors shares.</summary>
public static class MailAkkaDefaults
{
    /// <summary>
    /// The embedded <c>hocon/akka.hocon</c> under whatever the caller added, and Akka's log events through
    /// <see cref="AkkaToMicrosoftLogger"/> at <paramref name="level"/>.
    /// </summary>
    public static AkkaConfigurationBuilder AddMailDefaults(this AkkaConfigurationBuilder builder,
        Akka.Event.LogLevel level = Akka.Event.LogLevel.InfoLevel) =>
        builder.AddHocon(SettingsLoader.Embedded("akka.hocon"), HoconAddMode.Append)
            .ConfigureLoggers(l =>
            {
                l.LogLevel = level;
                l.ClearLoggers();
                l.AddLogger<AkkaToMicrosoftLogger>();
            });
}
