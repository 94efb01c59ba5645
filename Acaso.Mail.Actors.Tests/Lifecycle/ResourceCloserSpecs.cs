using Acaso.Mail.Actors.Lifecycle;
using Akka.Actor;
using Akka.TestKit.Xunit2;

namespace Acaso.Mail.Actors.Tests.Lifecycle;

/// <summary>
/// An actor that closes a resource as it stops does not block its thread on the close, and coordinated shutdown does
/// not end before the close has (the reader's broker connection, whose close returns unacked mail to the queue).
/// </summary>
public sealed class ResourceCloserSpecs : TestKit
{
    [Fact]
    public async Task An_actor_should_stop_before_its_resource_is_closed_and_shutdown_should_wait_for_the_close()
    {
        var resource = new HeldResource();
        var owner = Sys.ActorOf(Props.Create(() => new Owner(resource)));
        var watcher = CreateTestProbe();
        watcher.Watch(owner);

        Sys.Stop(owner);

        watcher.ExpectTerminated(owner);
        await resource.Started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(resource.Closed);

        var shutdown = CoordinatedShutdown.Get(Sys).Run(CoordinatedShutdown.ClrExitReason.Instance);
        await Sys.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(shutdown.IsCompleted);

        resource.Release.SetResult();
        await shutdown.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(resource.Closed);
    }

    [Fact]
    public async Task A_close_that_fails_should_neither_throw_nor_hold_shutdown()
    {
        var failing = new HeldResource();
        failing.Release.SetException(new InvalidOperationException("connection already gone"));

        var closing = ResourceCloser.Get(Sys).Close(failing, "a failing resource");
        await closing.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(closing.IsCompletedSuccessfully);
        await CoordinatedShutdown.Get(Sys).Run(CoordinatedShutdown.ClrExitReason.Instance).WaitAsync(TimeSpan.FromSeconds(20));
    }

    private sealed class Owner : ReceiveActor
    {
        private readonly HeldResource _resource;
        private readonly ResourceCloser _closer = ResourceCloser.Get(Context.System);

        public Owner(HeldResource resource) => _resource = resource;

        protected override void PostStop() => _closer.Close(_resource, "the spec's resource");
    }

    /// <summary>A resource whose close waits until the spec releases it.</summary>
    private sealed class HeldResource : IAsyncDisposable
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Closed { get; private set; }

        public async ValueTask DisposeAsync()
        {
            Started.SetResult();
            await Release.Task;
            Closed = true;
        }
    }
}
