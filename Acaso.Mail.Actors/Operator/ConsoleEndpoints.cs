using System.Globalization;
using System.Threading.RateLimiting;
using Acaso.Mail.Actors.Delivery;
using Acaso.Mail.Actors.Metrics;
using Acaso.Mail.Actors.Queue.Broker;
using Acaso.Mail.Actors.Settings;
using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static Acaso.Mail.Actors.Operator.ConsoleHtml;

namespace Acaso.Mail.Actors.Operator;

/// <summary>What the console's pages read and change: the node's settings, metrics, stores, dead-letter queue and actors.</summary>
public sealed record ConsoleServices(
    MailSettings Settings,
    ConsoleSessions Sessions,
    MailMetrics Metrics,
    IDeliveryStore Store,
    DeadLetterQueue DeadLetters,
    ActorSystem System,
    TimeProvider Clock,
    ILogger Log);

/// <summary>
/// The operator console's routes under <c>/console</c> on the metrics port, mapped only when
/// <c>MAIL_CONSOLE_PASSWORD</c> is set. Every page but the sign-in redirects to it without a session; every POST but
/// the sign-in must carry the session's antiforgery token (else 400). Log lines name actions and counts, never an
/// address (personal data stays on the signed-in pages).
/// </summary>
public static class ConsoleEndpoints
{
    /// <summary>Sign-ins allowed a minute from one client address; the next is answered 429 without being checked.</summary>
    public const int SignInsPerMinute = 5;

    /// <summary>The console's log category.</summary>
    public const string LogCategory = "acaso-mail.console";

    private const string SignInPolicy = "console-sign-in";

    /// <summary>
    /// The sign-in's rate limit, ASP.NET Core's own (call <c>UseRateLimiter</c> on the app): at most
    /// <see cref="SignInsPerMinute"/> sign-ins in any minute per client address (a sliding window of 5 s segments), and
    /// the next is answered 429 with the sign-in page, its password never checked.
    /// </summary>
    public static IServiceCollection AddConsoleSignInLimit(this IServiceCollection services) =>
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(SignInPolicy, context => RateLimitPartition.GetSlidingWindowLimiter(Client(context), _ =>
                new SlidingWindowRateLimiterOptions
                {
                    PermitLimit = SignInsPerMinute,
                    Window = TimeSpan.FromMinutes(1),
                    SegmentsPerWindow = 12,
                    QueueLimit = 0,
                }));
            limiter.OnRejected = async (rejected, cancellation) =>
            {
                var context = rejected.HttpContext;
                Private(context);
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(LogCategory)
                    .LogWarning("Console: sign-in attempts from {Client} over {Limit} a minute refused", Client(context), SignInsPerMinute);
                var text = ConsoleText.For(context);
                await LoginPage(text, text["Too many tries from this address: wait a minute."], StatusCodes.Status429TooManyRequests)
                    .ExecuteAsync(context).ConfigureAwait(false);
            };
        });

    /// <summary>Maps the console.</summary>
    public static void MapOperatorConsole(this IEndpointRouteBuilder app, ConsoleServices console)
    {
        var sessions = console.Sessions;
        app.MapGet("/console/login", (HttpContext context) =>
        {
            Private(context);
            return sessions.Of(context) is not null ? Results.Redirect("/console") : LoginPage(ConsoleText.For(context), null, 200);
        });
        app.MapPost("/console/login", async (HttpContext context) =>
        {
            Private(context);
            var text = ConsoleText.For(context);
            var client = Client(context);
            var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false) : null;
            if (!sessions.IsPassword(form?["password"].ToString()))
            {
                console.Log.LogWarning("Console: wrong password from {Client}", client);
                return LoginPage(text, text["Wrong password."], StatusCodes.Status401Unauthorized);
            }

            sessions.SignIn(context);
            console.Log.LogInformation("Console: signed in from {Client}", client);
            return Results.Redirect("/console", permanent: false, preserveMethod: false);
        }).RequireRateLimiting(SignInPolicy);

        app.MapPost("/console/logout", Changing((context, _, _) =>
        {
            sessions.SignOut(context);
            return Task.FromResult(Results.Redirect("/console/login"));
        }));

        app.MapGet("/console", Reading((context, text, session) => TodayPage.RenderAsync(console, text, session, context.RequestAborted)));
        app.MapGet("/console/dead-letters", Reading((context, text, session) =>
            DeadLettersPage.RenderAsync(console, text, session, context.Request.Query["reason"], context.Request.Query["done"])));
        app.MapGet("/console/dead-letters/confirm", Reading((context, text, session) =>
        {
            var action = context.Request.Query["action"].ToString();
            return Task.FromResult(DeadLettersPage.Actions.Contains(action)
                ? DeadLettersPage.Confirm(text, session, action, context.Request.Query["id"], context.Request.Query["reason"])
                : Page(text, text["Page not found."], "", session, "", StatusCodes.Status404NotFound));
        }));
        app.MapPost("/console/dead-letters/replay", Changing(async (context, form, _) =>
        {
            var id = form["id"].ToString();
            var moved = id.Length == 0 ? 0 : await console.DeadLetters.ReplayAsync(reason: null, limit: 1, id, context.RequestAborted).ConfigureAwait(false);
            return Changed(context, "dead_letters_replayed", id, moved, moved == 0 ? "missing:" : $"replayed:{moved}", "/console/dead-letters");
        }));
        app.MapPost("/console/dead-letters/replay-reason", Changing(async (context, form, _) =>
        {
            var reason = form["reason"].ToString();
            var moved = reason.Length == 0 ? 0 : await console.DeadLetters.ReplayAsync(reason, int.MaxValue, id: null, context.RequestAborted).ConfigureAwait(false);
            return Changed(context, "dead_letters_replayed", reason, moved, $"replayed:{moved}", "/console/dead-letters");
        }));
        app.MapPost("/console/dead-letters/discard", Changing(async (context, form, _) =>
        {
            var id = form["id"].ToString();
            var discarded = id.Length > 0 && await console.DeadLetters.DiscardAsync(id, context.RequestAborted).ConfigureAwait(false);
            return Changed(context, "dead_letter_discarded", id, discarded ? 1 : 0, discarded ? "discarded:" : "missing:", "/console/dead-letters");
        }));

        app.MapGet("/console/suppressions", Reading((context, text, session) =>
            SuppressionsPage.RenderAsync(console, text, session, context.Request.Query["q"],
                int.TryParse(context.Request.Query["page"], NumberStyles.None, CultureInfo.InvariantCulture, out var page) ? page : 1,
                context.Request.Query["done"], context.RequestAborted)));
        app.MapPost("/console/suppressions/add", Changing(async (context, form, _) =>
        {
            var email = Suppression.Key(form["email"].ToString());
            if (!SuppressionsPage.LooksLikeAddress(email))
            {
                return Results.Redirect("/console/suppressions?done=invalid:");
            }

            var reason = form["reason"].ToString().Trim() is { Length: > 0 } given ? given[..Math.Min(given.Length, 100)] : "operator";
            await console.Store.SuppressAsync(new Suppression(email, reason, console.Clock.GetUtcNow(), "operator"), context.RequestAborted).ConfigureAwait(false);
            return Changed(context, "suppression_added", email, 1, "added:" + email, "/console/suppressions");
        }));
        app.MapPost("/console/suppressions/remove", Changing(async (context, form, _) =>
        {
            var email = Suppression.Key(form["email"].ToString());
            return email.Length > 0 && await console.Store.UnsuppressAsync(email, context.RequestAborted).ConfigureAwait(false)
                ? Changed(context, "suppression_removed", email, 1, "removed:" + email, "/console/suppressions")
                : Results.Redirect("/console/suppressions?done=absent:");
        }));

        app.MapGet("/console/history", Reading((context, text, session) =>
            HistoryPage.RenderAsync(console, text, session, context.Request.Query["email"], context.RequestAborted)));

        // A page without a session shows nothing but the way to sign in.
        Delegate Reading(Func<HttpContext, ConsoleText, ConsoleSession, Task<IResult>> page) => async (HttpContext context) =>
        {
            Private(context);
            return sessions.Of(context) is { } session
                ? await Guarded(context, session, () => page(context, ConsoleText.For(context), session)).ConfigureAwait(false)
                : Results.Redirect("/console/login");
        };

        Delegate Changing(Func<HttpContext, IFormCollection, ConsoleSession, Task<IResult>> change) => async (HttpContext context) =>
        {
            Private(context);
            if (sessions.Of(context) is not { } session)
            {
                return Results.Redirect("/console/login");
            }

            var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false) : FormCollection.Empty;
            if (!ConsoleSessions.CsrfMatches(session, form))
            {
                return Results.Text("The form's antiforgery token is missing or wrong: reload the page and try again.", statusCode: StatusCodes.Status400BadRequest);
            }

            return await Guarded(context, session, () => change(context, form, session)).ConfigureAwait(false);
        };

        // A store or the broker that fails answers 503 with a page that says so; the service itself goes on.
        async Task<IResult> Guarded(HttpContext context, ConsoleSession session, Func<Task<IResult>> handle)
        {
            try
            {
                return await handle().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
            {
                // The type alone: a store's message could quote what it was asked, an address among it.
                console.Log.LogWarning("Console: {Path} failed on {Exception}", context.Request.Path.Value, e.GetType().Name);
                var text = ConsoleText.For(context);
                return Page(text, text["Acaso Mail console"], "", session,
                    $"<p class=\"error\" role=\"alert\">{E(text["The broker or the database does not answer: try again in a moment."])}</p>",
                    StatusCodes.Status503ServiceUnavailable);
            }
        }

        IResult Changed(HttpContext context, string action, string subject, int count, string done, string back)
        {
            if (count > 0)
            {
                var client = Client(context);
                OperatorLog.Record(console.Store, new OperatorChange(console.Clock.GetUtcNow(), action, subject, count, client));
                console.Log.LogInformation("Console: {Action} ({Count}) from {Client}", action, count, client);
            }

            return Results.Redirect($"{back}?done={Uri.EscapeDataString(done)}");
        }
    }

    private static IResult LoginPage(ConsoleText text, string? error, int status) =>
        Page(text, text["Sign in"], "", null, $"""
            <div class="login">{(error is null ? "" : $"<p class=\"error\" role=\"alert\" id=\"login-error\">{E(error)}</p>")}
            <form method="post" action="/console/login"><label for="password">{E(text["Password"])}</label>
            <p><input id="password" name="password" type="password" required autofocus autocomplete="current-password"></p>
            <button type="submit">{E(text["Sign in"])}</button></form></div>
            """, status);

    /// <summary>The console's pages hold personal data: no cache keeps them, no frame shows them.</summary>
    private static void Private(HttpContext context)
    {
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers["X-Frame-Options"] = "DENY";
        context.Response.Headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'";
    }

    /// <summary>The client's address as this node's socket saw it (a forwarded-for header could be anyone's, so the rate limit does not trust it).</summary>
    /// <summary>The client's address: the connection's, or a trusted proxy's <c>X-Forwarded-For</c>; IPv4 as IPv4 on a dual-mode socket.</summary>
    private static string Client(HttpContext context) => context.Connection.RemoteIpAddress switch
    {
        null => "unknown",
        { IsIPv4MappedToIPv6: true } mapped => mapped.MapToIPv4().ToString(),
        var address => address.ToString(),
    };
}
