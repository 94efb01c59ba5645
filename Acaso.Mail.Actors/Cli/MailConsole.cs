using System.CommandLine;
using Acaso.Mail.Actors.Settings;

namespace Acaso.Mail.Actors.Cli;

/// <summary>What a verb reads and writes: standard input, output and error, and the environment its settings come from.</summary>
/// <param name="In">Standard input (<c>preview</c> reads a body from it).</param>
/// <param name="Out">Standard output.</param>
/// <param name="Error">Standard error.</param>
/// <param name="Environment">The variables settings are read from.</param>
public sealed record MailConsole(Stream In, TextWriter Out, TextWriter Error, Func<string, string?> Environment)
{
    /// <summary>The process's own console and environment.</summary>
    public static MailConsole Process() =>
        new(Console.OpenStandardInput(), Console.Out, Console.Error, System.Environment.GetEnvironmentVariable);

    /// <summary>The <c>MAIL_*</c> settings, for verbs that touch the broker or Brevo: a bad one throws <see cref="SettingsException"/>.</summary>
    public MailSettings LoadSettings() => SettingsLoader.Load(Environment);
}

/// <summary>The exit codes of every verb.</summary>
public static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;

    /// <summary>The input was refused (<c>preview</c> of a body the service would dead-letter).</summary>
    public const int Refused = 2;

    /// <summary>The command line did not parse.</summary>
    public const int Usage = 64;

    /// <summary>A setting is not valid (the message names the variable).</summary>
    public const int BadSettings = 78;
}

/// <summary>Option shapes several verbs share.</summary>
public static class CliOptions
{
    /// <summary>A whole-number option of at least <paramref name="min"/>; its parse errors name it.</summary>
    public static Option<int> WholeNumber(string name, string description, int defaultValue, int min = 0, params string[] aliases)
    {
        var option = new Option<int>(name, aliases) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(result =>
        {
            // A token that is no number already has the parser's own error; only a number below the minimum is added here.
            if (result.Tokens.Count == 1 && int.TryParse(result.Tokens[0].Value, System.Globalization.CultureInfo.InvariantCulture, out var value)
                && value < min)
            {
                result.AddError($"{name} takes a whole number of {min} or more, not {value}");
            }
        });
        return option;
    }

    /// <summary>An option that takes one of <paramref name="values"/> (listed in the help); any other value is refused naming it.</summary>
    public static Option<string> Choice(string name, string description, string defaultValue, params string[] values)
    {
        var option = new Option<string>(name) { Description = description, DefaultValueFactory = _ => defaultValue }.AcceptOnlyFromAmong(values);
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && !values.Contains(result.Tokens[0].Value))
            {
                result.AddError($"{name} does not take '{result.Tokens[0].Value}'");
            }
        });
        return option;
    }
}
