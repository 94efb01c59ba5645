using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Acaso.Mail.Actors.Delivery;

namespace Acaso.Mail.Actors.Cli;

/// <summary>
/// <c>suppressions list|add|remove</c>: the addresses no mail goes to (kept in <c>MAIL_STATE_DIR/delivery.db</c>), and
/// <c>history &lt;email&gt;</c>: what became of each mail to an address, as JSON lines, oldest first.
/// </summary>
public static class SuppressionsCommand
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The <c>suppressions</c> verb's declaration, with its three subcommands.</summary>
    public static Command Create(MailConsole console)
    {
        var list = new Command("list", "List the suppressed addresses: address, reason, since when, from where.");
        list.SetAction(_ =>
        {
            var suppressions = Store(console).Suppressions();
            console.Out.WriteLine($"{suppressions.Count} suppressed address(es)");
            foreach (var s in suppressions)
            {
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {s.Email,-40}  {s.Reason,-14}  {s.At:yyyy-MM-dd HH:mm:ss}  {s.Source}"));
            }

            return ExitCodes.Ok;
        });

        var addEmail = new Argument<string>("email") { Description = "The address." };
        var reason = new Option<string>("--reason") { Description = "Why (shown by list).", DefaultValueFactory = _ => "operator" };
        var add = new Command("add", "Put an address on the list: mail to it is dead-lettered as suppressed, with no credit spent.") { addEmail, reason };
        add.SetAction(result =>
        {
            var email = result.GetValue(addEmail)!;
            Store(console).Suppress(new Suppression(Suppression.Key(email), result.GetValue(reason)!, DateTimeOffset.UtcNow, "operator"));
            console.Out.WriteLine($"suppressed {Suppression.Key(email)}");
            return ExitCodes.Ok;
        });

        var removeEmail = new Argument<string>("email") { Description = "The address." };
        var remove = new Command("remove", "Take an address off the list: the next mail to it is sent.") { removeEmail };
        remove.SetAction(result =>
        {
            var email = Suppression.Key(result.GetValue(removeEmail)!);
            if (Store(console).Unsuppress(email))
            {
                console.Out.WriteLine($"removed {email}");
                return ExitCodes.Ok;
            }

            console.Error.WriteLine($"acaso-mail: {email} is not on the suppression list");
            return ExitCodes.Refused;
        });

        return new Command("suppressions", "The suppression list (reads MAIL_STATE_DIR).") { list, add, remove };
    }

    /// <summary>The <c>history</c> verb's declaration.</summary>
    public static Command CreateHistory(MailConsole console)
    {
        var email = new Argument<string>("email") { Description = "The address." };
        var history = new Command("history", "Print what became of each mail to an address, one JSON object a line, oldest first (reads MAIL_STATE_DIR).") { email };
        history.SetAction(result =>
        {
            foreach (var entry in Store(console).History(result.GetValue(email)!))
            {
                var line = new Dictionary<string, object?> { ["at"] = entry.At.UtcDateTime.ToString("O", CultureInfo.InvariantCulture), ["kind"] = entry.Kind };
                foreach (var (name, value) in entry.Fields)
                {
                    line[name] = value;
                }

                console.Out.WriteLine(JsonSerializer.Serialize(line, Json));
            }

            return ExitCodes.Ok;
        });
        return history;
    }

    /// <summary>The store the service uses: the shared database's with <c>MAIL_DATABASE_URL</c>, else <c>MAIL_STATE_DIR/delivery.db</c>.</summary>
    private static IDeliveryStore Store(MailConsole console) => Hosting.StateStores.DeliveryStore(console.LoadSettings());
}
