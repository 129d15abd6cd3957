using System.Management.Automation;
using CitusHa.Core.Errors;

namespace CitusHa;

/// <summary>
/// What every CitusHa cmdlet shares: a cancellation token that Ctrl+C (<see cref="StopProcessing"/>)
/// cancels, waiting on async Core calls from the pipeline thread, and turning Core's failures into
/// error records with stable ErrorIds and meaningful categories. Cmdlets stay thin.
/// </summary>
public abstract class CitusCmdletBase : PSCmdlet
{
    private CancellationTokenSource? cancellation;

    /// <summary>Cancelled when the user presses Ctrl+C or the pipeline stops.</summary>
    protected CancellationToken CancellationToken => (cancellation ??= new CancellationTokenSource()).Token;

    protected override void BeginProcessing()
    {
        cancellation ??= new CancellationTokenSource();
        base.BeginProcessing();
    }

    protected override void StopProcessing()
    {
        cancellation?.Cancel();
        base.StopProcessing();
    }

    protected override void EndProcessing()
    {
        base.EndProcessing();
        cancellation?.Dispose();
        cancellation = null;
    }

    /// <summary>
    /// Runs one Core call to completion on the pipeline thread. A Core failure becomes a terminating
    /// error; use <see cref="TryRunCore{T}"/> where one item's failure must not stop the pipeline.
    /// </summary>
    protected T RunCore<T>(Func<CancellationToken, Task<T>> call)
    {
        try
        {
            return Wait(call);
        }
        catch (CitusHaException e)
        {
            ThrowTerminatingError(ErrorRecords.From(e));
            throw; // unreachable: ThrowTerminatingError always throws
        }
    }

    /// <summary>
    /// Like <see cref="RunCore{T}"/>, but a failure that concerns only this item (not found, conflict)
    /// is written as a non-terminating error and the method returns false, so the pipeline goes on.
    /// Failures that doom every item (etcd unreachable, bad credentials) still terminate.
    /// </summary>
    protected bool TryRunCore<T>(Func<CancellationToken, Task<T>> call, out T? result)
    {
        try
        {
            result = Wait(call);
            return true;
        }
        catch (CitusHaException e) when (e.Kind is CitusErrorKind.NotFound or CitusErrorKind.Conflict)
        {
            WriteError(ErrorRecords.From(e));
            result = default;
            return false;
        }
        catch (CitusHaException e)
        {
            ThrowTerminatingError(ErrorRecords.From(e));
            throw;
        }
    }

    /// <summary>Validation done in Core (settings, requests) surfaces as a terminating error too.</summary>
    protected T Validate<T>(Func<T> build)
    {
        try
        {
            return build();
        }
        catch (CitusHaException e)
        {
            ThrowTerminatingError(ErrorRecords.From(e));
            throw;
        }
    }

    private T Wait<T>(Func<CancellationToken, Task<T>> call)
    {
        try
        {
            // Core awaits with ConfigureAwait(false), so blocking the pipeline thread cannot deadlock.
            return call(CancellationToken).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (Exception e) when (e is not CitusHaException and not PipelineStoppedException and not OperationCanceledException)
        {
            ThrowTerminatingError(ErrorRecords.Unexpected(e));
            throw;
        }
    }
}
