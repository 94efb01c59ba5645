using System.Text.Json;
using Acaso.Mail.Actors.Brevo;

namespace Acaso.Mail.Actors.Simulation;

/// <summary>
/// Brevo inside the simulator's process: the free plan's credits, the idempotency key's refusal of a repeat, and
/// each accepted mail's recipient, with no HTTP (a day of sends in virtual time is not worth a socket each).
/// </summary>
public sealed class SimulatedBrevo(int credits) : IBrevoClient
{
    private readonly Lock _gate = new();
    private readonly List<string> _recipients = [];
    private readonly List<string> _mentors = [];
    private readonly HashSet<string> _keys = [];
    private int _credits = credits;

    /// <summary>Credits left today.</summary>
    public int Credits { get { lock (_gate) { return _credits; } } }

    /// <summary>The recipient address of each accepted mail, in order.</summary>
    public IReadOnlyList<string> Recipients { get { lock (_gate) { return [.. _recipients]; } } }

    /// <summary>The <c>MENTOR_NAME</c> param of each accepted mail, in order (the simulator names each mail's mentor after the mail).</summary>
    public IReadOnlyList<string> Mentors { get { lock (_gate) { return [.. _mentors]; } } }

    /// <summary>Called with the recipient and message id of each accepted mail: the simulator's webhook.</summary>
    public Action<string, string>? Accepted { get; set; }

    /// <inheritdoc />
    public Task<SendOutcome> SendAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        var key = root.GetProperty("headers").GetProperty("idempotencyKey").GetString()!;
        lock (_gate)
        {
            if (!_keys.Add(key))
            {
                // As BrevoClient reads Brevo's duplicate_parameter: an earlier attempt went through.
                return Task.FromResult<SendOutcome>(new Sent(null));
            }

            if (_credits <= 0)
            {
                _keys.Remove(key);
                return Task.FromResult<SendOutcome>(new PermanentFailure(402, "not_enough_credits", "You don't have enough credit to send the email"));
            }

            _credits--;
            var email = root.GetProperty("to")[0].GetProperty("email").GetString()!;
            _recipients.Add(email);
            _mentors.Add(root.GetProperty("params").GetProperty("MENTOR_NAME").GetString()!);
            var messageId = $"<sim-{_recipients.Count}@smtp-relay.mailin.fr>";
            Accepted?.Invoke(email, messageId);
            return Task.FromResult<SendOutcome>(new Sent(messageId));
        }
    }

    /// <inheritdoc />
    public Task<int?> GetRemainingCreditsAsync(CancellationToken cancellationToken) => Task.FromResult<int?>(Credits);

    /// <inheritdoc />
    public Task<BlockedContacts> GetBlockedContactsAsync(int offset, CancellationToken cancellationToken) =>
        Task.FromResult(new BlockedContacts([], 0));
}
