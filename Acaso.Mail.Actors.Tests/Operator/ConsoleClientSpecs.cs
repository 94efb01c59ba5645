using System.Net;
using System.Net.Sockets;
using Acaso.Mail.Actors.Operator;
using Acaso.Mail.Actors.Tests.Support;
using static Acaso.Mail.Actors.Tests.Support.ProcessAssertions;

namespace Acaso.Mail.Actors.Tests.Operator;

/// <summary>
/// Who the console's client is, on the real process: its sign-in limit per client, and the proxies it trusts. Every
/// address on 127.0.0.0/8 is this machine, so a client bound to 127.0.0.2 is another client, or another proxy.
/// </summary>
[Trait("Loop", "Full")]
public sealed class ConsoleClientSpecs() : ProcessSpecs("xkeysib-CLIENT-SECRET-4e1a", "client")
{
    private const string Password = "sign-in-limit-password-never-printed";

    [Fact]
    public async Task Sign_ins_past_five_a_minute_from_one_address_should_be_answered_429_unchecked_and_others_still_checked()
    {
        var environment = Environment(perHour: 5);
        environment["MAIL_CONSOLE_PASSWORD"] = Password;
        await using var service = ServiceProcess.Start(environment);
        await Eventually(async () => (await GetAsync("/console/login")).Code == 200, TimeSpan.FromSeconds(30), "the console", service);
        using var first = Client("127.0.0.1");
        using var second = Client("127.0.0.2");

        for (var i = 1; i <= ConsoleEndpoints.SignInsPerMinute; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync(first, $"wrong-{i}")).Status);
        }

        // The sixth within the minute is refused before any check: the right password does not open it.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SignInAsync(first, Password)).Status);
        // Another client is counted on its own: its wrong password is checked, its right one signs in. A forwarded
        // address from a proxy nobody trusts changes nothing.
        Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync(second, "wrong")).Status);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SignInAsync(first, Password, forwardedFor: "203.0.113.1")).Status);
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(second, Password)).Status);
        await Eventually(() => Task.FromResult(service.Output.Contains("sign-in attempts from 127.0.0.1 over 5 a minute refused", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(5), "the refusal's log line", service);
        Assert.DoesNotContain(Password, service.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forwarded_headers_should_count_from_a_trusted_proxy_only()
    {
        var environment = Environment(perHour: 5);
        environment["MAIL_CONSOLE_PASSWORD"] = Password;
        environment["MAIL_TRUSTED_PROXIES"] = "127.0.0.1/32, 10.9.0.0/16";
        await using var service = ServiceProcess.Start(environment);
        await Eventually(async () => (await GetAsync("/console/login")).Code == 200, TimeSpan.FromSeconds(30), "the console", service);
        using var proxy = Client("127.0.0.1");
        using var stranger = Client("127.0.0.3");

        // Through the trusted proxy, X-Forwarded-For names the client: one client's five tries leave another's untouched.
        for (var i = 1; i <= ConsoleEndpoints.SignInsPerMinute; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync(proxy, $"wrong-{i}", forwardedFor: "203.0.113.7")).Status);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, (await SignInAsync(proxy, Password, forwardedFor: "203.0.113.7")).Status);
        var viaProxy = await SignInAsync(proxy, Password, forwardedFor: "203.0.113.8", forwardedProto: "https");
        Assert.Equal(HttpStatusCode.Redirect, viaProxy.Status);
        Assert.Contains("secure", viaProxy.Cookie, StringComparison.OrdinalIgnoreCase);
        await Eventually(() => Task.FromResult(service.Output.Contains("signed in from 203.0.113.8", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(5), "the sign-in's log line, naming the forwarded client", service);

        // From anyone else, neither header counts: the client is the connection's, and the cookie is not Secure over HTTP.
        var direct = await SignInAsync(stranger, Password, forwardedFor: "203.0.113.9", forwardedProto: "https");
        Assert.Equal(HttpStatusCode.Redirect, direct.Status);
        Assert.DoesNotContain("secure", direct.Cookie, StringComparison.OrdinalIgnoreCase);
        await Eventually(() => Task.FromResult(service.Output.Contains("signed in from 127.0.0.3", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(5), "the sign-in's log line, naming the connection's address", service);
        Assert.DoesNotContain("203.0.113.9", service.Output, StringComparison.Ordinal);
    }

    private HttpClient Client(string address) => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        ConnectCallback = async (context, cancellation) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellation);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    {
        BaseAddress = new Uri($"http://127.0.0.1:{MetricsPort}"),
    };

    private static Task<(HttpStatusCode Status, string Cookie)> SignInAsync(HttpClient http, string password,
        string? forwardedFor = null, string? forwardedProto = null) =>
        ConsoleSignIn.PostAsync(http, new Uri("/console/login", UriKind.Relative), password, forwardedFor, forwardedProto);
}
