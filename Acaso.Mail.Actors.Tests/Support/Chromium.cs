using Microsoft.Playwright;

namespace Acaso.Mail.Actors.Tests.Support;

/// <summary>
/// Debian's <c>chromium</c>, driven by Playwright through its executable path (no browser can be downloaded here).
/// A machine without it fails the spec with the command that installs it; <c>scripts/test.sh</c> runs that command.
/// </summary>
public static class Chromium
{
    /// <summary>The executable: <c>MAIL_CHROMIUM</c>, else Debian's.</summary>
    public static string Path => Environment.GetEnvironmentVariable("MAIL_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    /// <summary>Launches it headless, with the network it would otherwise reach for at start switched off.</summary>
    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        if (!File.Exists(Path))
        {
            throw new InvalidOperationException(
                $"The console's browser specs need Chromium at {Path}: install Debian's package (sudo apt-get install -y chromium), " +
                "or set MAIL_CHROMIUM to a Chromium executable. scripts/test.sh installs it when missing.");
        }

        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Path,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
            ],
        });
        return (playwright, browser);
    }
}
