using System.Net;

namespace Acaso.Mail.Actors.Tests.Support;

/// <summary>The console's sign-in form, posted as a browser or a proxy in front of one would post it.</summary>
public static class ConsoleSignIn
{
    /// <summary>
    /// Posts <paramref name="password"/> to <c>/console/login</c> at <paramref name="login"/>, with the forwarded headers a
    /// proxy would add when given; returns the status and the <c>Set-Cookie</c> lines ("" when none).
    /// </summary>
    public static async Task<(HttpStatusCode Status, string Cookie)> PostAsync(HttpClient http, Uri login, string password,
        string? forwardedFor = null, string? forwardedProto = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, login)
        {
            Content = new FormUrlEncodedContent([new("password", password)]),
        };
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        if (forwardedProto is not null)
        {
            request.Headers.Add("X-Forwarded-Proto", forwardedProto);
        }

        using var response = await http.SendAsync(request);
        var cookie = response.Headers.TryGetValues("Set-Cookie", out var cookies) ? string.Join("\n", cookies) : "";
        return (response.StatusCode, cookie);
    }
}
