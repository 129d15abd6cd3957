using System.Management.Automation;
using CitusHa.Core.Errors;

namespace CitusHa;

/// <summary>
/// What every CitusHa cmdlet shares: a cancellation token that Ctrl+C (<see cref="StopProcessing"/>)
/// cancels, waiting on async Core calls from the pipeline thread, and turning every failure into an
/// error record with a stable ErrorId and a meaningful category. Cmdlets stay thin.
/// </summary>
public abstract class CitusCmdletBase : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource cancellation = new();
    private int disposed;

    /// <summary>Cancelled when the user presses Ctrl+C or the pipeline stops.</summary>
    protected CancellationToken CancellationToken => cancellation.Token;

    protected override void StopProcessing()
    {
        if (Volatile.Read(ref disposed) == 0)
        {
            try
            {
                cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Stopped while being disposed: nothing left to cancel.
            }
        }

        base.StopProcessing();
    }

    /// <summary>PowerShell disposes cmdlets after the pipeline ends, also after a terminating error or a stop.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            cancellation.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Runs one Core call to completion on the pipeline thread. Any failure becomes a terminating
    /// error; use <see cref="TryRunCore{T}"/> where one item's failure must not stop the pipeline.
    /// </summary>
    protected T RunCore<T>(Func<CancellationToken, Task<T>> call)
    {
        var (ok, result, error) = Run(call);
        if (!ok)
        {
            ThrowTerminatingError(error!);
        }

        return result!;
    }

    /// <summary>
    /// Like <see cref="RunCore{T}"/>, but a failure that concerns only this item (bad input for it,
    /// not found, conflict) is written as a non-terminating error and the method returns false, so
    /// the pipeline goes on. Failures that doom every item (etcd unreachable, bad credentials) terminate.
    /// </summary>
    protected bool TryRunCore<T>(Func<CancellationToken, Task<T>> call, out T? result)
    {
        var (ok, value, error) = Run(call);
        result = value;
        if (ok)
        {
            return true;
        }

        if (error!.CategoryInfo.Category is ErrorCategory.ObjectNotFound or ErrorCategory.ResourceBusy or ErrorCategory.InvalidArgument)
        {
            WriteError(error);
            return false;
        }

        ThrowTerminatingError(error);
        return false;
    }

    private (bool Ok, T? Result, ErrorRecord? Error) Run<T>(Func<CancellationToken, Task<T>> call)
    {
        try
        {
            // Core awaits with ConfigureAwait(false), so blocking the pipeline thread cannot deadlock.
            return (true, call(CancellationToken).GetAwaiter().GetResult(), null);
        }
        catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (CitusHaException e)
        {
            WriteDebug($"{e.ErrorId}: {e}");
            return (false, default, ErrorRecords.From(e));
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteDebug(e.ToString());
            return (false, default, ErrorRecords.Unexpected(e));
        }
    }
}
