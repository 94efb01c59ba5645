using System.Text;
using Acaso.Mail.Actors.Contract;
using BenchmarkDotNet.Attributes;

namespace Acaso.Mail.Actors.Bench;

/// <summary>Micro-benchmarks of the per-message work: parse and validate a body, render the Brevo request.</summary>
[MemoryDiagnoser]
[ShortRunJob]
public class ParseRenderBenchmarks
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 0, 0, 0, TimeSpan.Zero);
    private readonly RenderOptions _render = Acaso.Mail.Actors.Settings.SettingsLoader.Defaults.Render;
    private byte[] _body = [];
    private MailRequest _request = null!;

    [GlobalSetup]
    public void Setup()
    {
        _body = Encoding.UTF8.GetBytes("""{"mail_params": {"mentor_name": "Dr. Daniel Dias", "mentoring_datetime": "2026-12-01 21:55:57.141378-03:00", "mentored_name": "Ana Beatriz Rodrigues", "mentor_id": null, "mentored_id": "6f1c"}, "recipient": {"name": "Ana Beatriz Rodrigues", "email": "ana@example.org"}, "template": 11}""");
        _request = MailRequestParser.Parse(_body, 199, Now).Request!;
    }

    [Benchmark(Baseline = true)]
    public ParseResult Parse() => MailRequestParser.Parse(_body, 199, Now);

    [Benchmark]
    public byte[] Render() => BrevoRequestRenderer.Render(_request, _render);
}
