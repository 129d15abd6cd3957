namespace CitusHa.Testing.Workloads;

/// <summary>A loop a test runs beside the system under test until it is disposed (writers, monitors).</summary>
public abstract class BackgroundWork : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private Task? running;
    private bool disposed;

    /// <summary>Cancelled when the work is disposed.</summary>
    protected CancellationToken Stopping => stop.Token;

    /// <summary>Starts <see cref="RunAsync"/> on the thread pool.</summary>
    protected void StartLoop() => running = Task.Run(RunAsync);

    protected abstract Task RunAsync();

    /// <summary>Stops the loop and waits for it to finish.</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        await stop.CancelAsync().ConfigureAwait(false);
        if (running is not null)
        {
            await running.ConfigureAwait(false);
        }

        stop.Dispose();
        GC.SuppressFinalize(this);
    }
}
