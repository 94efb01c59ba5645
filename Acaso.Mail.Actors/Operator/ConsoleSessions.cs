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
/// an antiforgery token per session, and at most <see cref="TriesPerMinute"/> sign-in attempts a minute per client address.
/// </summary>
public sealed class ConsoleSessions(Secret password, TimeProvider clock)
{
    /// <summary>The session cookie's name.</summary>
    public const string Cookie = "acaso_console";

    /// <summary>The hidden form field that carries the antiforgery token.</summary>
    public const string CsrfField = "csrf";

    /// <summary>Sign-in attempts allowed a minute from one client address; the next is answered 429.</summary>
    public const int TriesPerMinute = 5;

    /// <summary>How long a sign-in lasts.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(8);

    private readonly byte[] _passwordHash = SHA256.HashData(Encoding.UTF8.GetBytes(password.Reveal()));
    private readonly ConcurrentDictionary<string, ConsoleSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _tries = new(StringComparer.Ordinal);

    /// <summary>
    /// Counts a sign-in attempt from <paramref name="address"/>; false when it is past <see cref="TriesPerMinute"/> in
    /// the last minute (the attempt is then not checked at all).
    /// </summary>
    public bool MayTry(string address)
    {
        if (_tries.Count > 10_000)
        {
            Sweep();
        }

        var now = clock.GetUtcNow();
        var tries = _tries.GetOrAdd(address, _ => new Queue<DateTimeOffset>());
        lock (tries)
        {
            while (tries.Count > 0 && now - tries.Peek() >= TimeSpan.FromMinutes(1))
            {
                tries.Dequeue();
            }

            if (tries.Count >= TriesPerMinute)
            {
                return false;
            }

            tries.Enqueue(now);
            return true;
        }
    }

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
            Secure = IsHttps(context.Request),
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

    /// <summary>True when the request came over HTTPS, directly or through a proxy that says so in <c>X-Forwarded-Proto</c>.</summary>
    public static bool IsHttps(HttpRequest request) =>
        request.IsHttps || string.Equals(request.Headers["X-Forwarded-Proto"].ToString().Split(',')[0].Trim(), "https", StringComparison.OrdinalIgnoreCase);

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

        foreach (var (address, tries) in _tries)
        {
            lock (tries)
            {
                if (tries.Count == 0 || now - tries.Last() >= TimeSpan.FromMinutes(1))
                {
                    _tries.TryRemove(address, out _);
                }
            }
        }
    }
}
