using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Acaso.Mail.Actors.Settings;
using Microsoft.AspNetCore.Http;

namespace Acaso.Mail.Actors.Operator;

/// <summary>A signed-in operator: the cookie's value names it; <c>Csrf</c> is the token every changing form carries.</summary>
/// <param name="Csrf">The antiforgery token of this session (synchronizer token: a hidden field compared with it).</param>
/// <param name="Expires">When the sign-in ends (8 hours after it began).</param>
public sealed record ConsoleSession(string Csrf, DateTimeOffset Expires);

/// <summary>
/// The console's sign-in: one password (<c>MAIL_CONSOLE_PASSWORD</c>, compared in constant time, never printed),
/// sessions held in this node's memory (a restart signs everyone out; in a cluster each node signs in on its own),
/// and an antiforgery token per session. How often a client may try is ASP.NET Core's rate limiter's
/// (<see cref="ConsoleEndpoints.AddConsoleSignInLimit"/>).
/// </summary>
public sealed class ConsoleSessions(Secret password, TimeProvider clock)
{
    /// <summary>The session cookie's name.</summary>
    public const string Cookie = "acaso_console";

    /// <summary>The hidden form field that carries the antiforgery token.</summary>
    public const string CsrfField = "csrf";

    /// <summary>How long a sign-in lasts.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(8);

    private readonly byte[] _passwordHash = SHA256.HashData(Encoding.UTF8.GetBytes(password.Reveal()));
    private readonly ConcurrentDictionary<string, ConsoleSession> _sessions = new(StringComparer.Ordinal);

    /// <summary>True when <paramref name="attempt"/> is the password: both are hashed first, so the comparison takes the same time whatever they hold.</summary>
    public bool IsPassword(string? attempt) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(attempt ?? "")), _passwordHash);

    /// <summary>Begins a session and sets its cookie on <paramref name="context"/>'s response.</summary>
    public void SignIn(HttpContext context)
    {
        Sweep();
        var id = Token();
        var session = new ConsoleSession(Token(), clock.GetUtcNow() + Lifetime);
        _sessions[id] = session;
        context.Response.Cookies.Append(Cookie, id, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            // The scheme is the connection's, or a trusted proxy's X-Forwarded-Proto (UseForwardedHeaders).
            Secure = context.Request.IsHttps,
            Path = "/console",
            MaxAge = Lifetime,
        });
    }

    /// <summary>The request's session, or null when it has none, an unknown one or an expired one.</summary>
    public ConsoleSession? Of(HttpContext context)
    {
        if (context.Request.Cookies[Cookie] is not { } id || !_sessions.TryGetValue(id, out var session))
        {
            return null;
        }

        if (session.Expires > clock.GetUtcNow())
        {
            return session;
        }

        _sessions.TryRemove(id, out _);
        return null;
    }

    /// <summary>Ends the request's session and clears its cookie.</summary>
    public void SignOut(HttpContext context)
    {
        if (context.Request.Cookies[Cookie] is { } id)
        {
            _sessions.TryRemove(id, out _);
        }

        context.Response.Cookies.Delete(Cookie, new CookieOptions { Path = "/console" });
    }

    /// <summary>True when the form's antiforgery field is the session's token (constant time).</summary>
    public static bool CsrfMatches(ConsoleSession session, IFormCollection form) =>
        form[CsrfField].ToString() is { Length: > 0 } sent
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(sent), Encoding.ASCII.GetBytes(session.Csrf));

    private static string Token() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private void Sweep()
    {
        var now = clock.GetUtcNow();
        foreach (var (id, session) in _sessions)
        {
            if (session.Expires <= now)
            {
                _sessions.TryRemove(id, out _);
            }
        }
    }
}
