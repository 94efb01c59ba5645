using System.Collections.Concurrent;
using System.Globalization;
using Acaso.Mail.Actors.Brevo;
using Microsoft.AspNetCore.Http;

namespace Acaso.Mail.Actors.Tests.Support;

/// <summary>A scripted answer the stand-in gives instead of its normal one, in order, once each.</summary>
/// <param name="Status">The HTTP status to answer.</param>
/// <param name="Code">Brevo's error code in the body.</param>
/// <param name="Delay">How long to wait before answering (longer than the client's timeout makes a timeout).</param>
/// <param name="RateLimitReset">For 429: the <c>x-sib-ratelimit-reset</c> header, in seconds.</param>
/// <param name="AcceptFirst">Record the mail as sent, then answer this (a lost answer to a request that went through).</param>
public sealed record ScriptedAnswer(int Status, string Code = "", TimeSpan Delay = default, int? RateLimitReset = null, bool AcceptFirst = false);

/// <summary>The product's Brevo capture sink, with Brevo's faults scripted into it.</summary>
public sealed class BrevoStandIn(string? requiredApiKey, int credits) : BrevoCaptureSink(requiredApiKey: requiredApiKey, credits: credits)
{
    private readonly ConcurrentQueue<ScriptedAnswer> _script = new();

    /// <summary>The webhook event reported for mail to an address (Brevo's camelCase names, as its webhook spells them); <c>delivered</c> for the rest.</summary>
    public ConcurrentDictionary<string, string> Outcomes { get; } = new(StringComparer.OrdinalIgnoreCase);

    protected override string EventFor(string email) => Outcomes.TryGetValue(email, out var outcome) ? outcome : base.EventFor(email);

    /// <summary>Starts a stand-in on 127.0.0.1 (<paramref name="port"/> 0 picks a free one).</summary>
    public static async Task<BrevoStandIn> StartAsync(int port = 0, string? requiredApiKey = null, int credits = 300)
    {
        var standIn = new BrevoStandIn(requiredApiKey, credits);
        await standIn.ListenAsync(port);
        return standIn;
    }

    /// <summary>Queues answers to give, in order, before answering normally again.</summary>
    public void Script(params ScriptedAnswer[] answers)
    {
        foreach (var answer in answers)
        {
            _script.Enqueue(answer);
        }
    }

    /// <summary>Until this moment every send is answered 500 (Brevo down for a while); the past means never.</summary>
    public DateTimeOffset FailingUntil { get; set; }

    protected override async Task<IResult?> InterceptAsync(HttpContext context, string body)
    {
        if (DateTimeOffset.UtcNow < FailingUntil)
        {
            return Error(500, "internal_error", "Brevo is down (scripted)");
        }

        if (!_script.TryDequeue(out var scripted))
        {
            return null;
        }

        if (scripted.AcceptFirst)
        {
            await AcceptAsync(body, context.Request.Headers["api-key"].FirstOrDefault());
        }

        if (scripted.Delay > TimeSpan.Zero)
        {
            await Task.Delay(scripted.Delay, context.RequestAborted);
        }

        if (scripted.RateLimitReset is { } reset)
        {
            context.Response.Headers["x-sib-ratelimit-limit"] = "10";
            context.Response.Headers["x-sib-ratelimit-remaining"] = "0";
            context.Response.Headers["x-sib-ratelimit-reset"] = reset.ToString(CultureInfo.InvariantCulture);
        }

        return Error(scripted.Status, scripted.Code.Length > 0 ? scripted.Code : "scripted", "scripted answer");
    }
}
