namespace Acaso.Mail.Actors.Tests.Support;

/// <summary>Waiting on, and reading the metrics of, a service run as a process.</summary>
public static class ProcessAssertions
{
    public static double Sample(string metrics, string series) =>
        metrics.Split('\n').Where(l => l.StartsWith(series + " ", StringComparison.Ordinal))
            .Select(l => double.Parse(l[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture))
            .DefaultIfEmpty(0).First();

    public static async Task Eventually(Func<Task<bool>> condition, TimeSpan timeout, string what, ServiceProcess? service = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for {what}" + (service is null ? "" : "; the service printed:\n" + service.Output));
            }

            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Checks that <paramref name="condition"/> holds at every look over <paramref name="period"/>, and fails at the
    /// first look it does not: for a claim that something does <em>not</em> happen, which only a period can show. Name
    /// the period for what it must outlast (a poll, the broker's statistics interval), not for luck.
    /// </summary>
    public static async Task Throughout(Func<Task<bool>> condition, TimeSpan period, string what, ServiceProcess? service = null)
    {
        var end = DateTime.UtcNow + period;
        do
        {
            if (!await condition())
            {
                throw new InvalidOperationException($"{what} no longer held" + (service is null ? "" : "; the service printed:\n" + service.Output));
            }

            await Task.Delay(100);
        }
        while (DateTime.UtcNow < end);
    }
}
