using Acaso.Mail.Actors.Brevo;
using Akka.Configuration;

namespace Acaso.Mail.Actors.Tests.Support;

/// <summary>
/// A TestKit spec that talks to the Brevo stand-in on loopback: the stand-in (expecting <see cref="ApiKey"/>) and an
/// HttpClient, started before each spec and stopped after it.
/// </summary>
public abstract class StandInSpecs(Config config, int credits = 300) : Akka.TestKit.Xunit2.TestKit(config.WithFallback(InMemoryPersistence)), IAsyncLifetime
{
    /// <summary>The keeper journals to memory here, as in the service's embedded defaults (<c>hocon/akka.hocon</c>).</summary>
    private static readonly Config InMemoryPersistence = ConfigurationFactory.ParseString(
        "akka.persistence.journal.plugin = \"akka.persistence.journal.inmem\"\n" +
        "akka.persistence.snapshot-store.plugin = \"akka.persistence.snapshot-store.inmem\"");

    /// <summary>The key <see cref="TestPipeline.BrevoAt"/> sends by default.</summary>
    protected const string ApiKey = "xkeysib-test";

    protected BrevoStandIn Brevo { get; set; } = null!;

    protected HttpClient Http { get; } = new();

    private readonly List<TestPipeline> _pipelines = [];

    public virtual async Task InitializeAsync() => Brevo = await BrevoStandIn.StartAsync(requiredApiKey: ApiKey, credits: credits);

    /// <summary>Awaits a pipeline's start and stops it after the spec.</summary>
    protected async Task<TestPipeline> Started(Task<TestPipeline> starting)
    {
        var pipeline = await starting;
        _pipelines.Add(pipeline);
        return pipeline;
    }

    public virtual async Task DisposeAsync()
    {
        foreach (var pipeline in _pipelines)
        {
            await pipeline.DisposeAsync();
        }

        Http.Dispose();
        await Brevo.DisposeAsync();
    }
}
