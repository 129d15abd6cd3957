using System.Collections.Concurrent;
using System.Management.Automation;
using CitusHa.Core.Errors;
using CitusHa.Core.Operations;

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

    /// <summary>
    /// Like <see cref="RunCore{T}"/> for a long Core call that reports progress: its reports are queued
    /// and written here, on the pipeline thread (the only thread that may write), each also as a verbose
    /// line; the progress record is always completed.
    /// </summary>
    protected T RunCoreWithProgress<T>(int activityId, Func<IProgress<OperationProgress>, CancellationToken, Task<T>> call)
    {
        using var queue = new BlockingCollection<OperationProgress>();
        var reporter = new QueueProgress(queue);
        OperationProgress? last = null;
        var (ok, result, error) = Run(ct =>
        {
            var task = call(reporter, ct);
            _ = task.ContinueWith(_ => queue.CompleteAdding(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            foreach (var step in queue.GetConsumingEnumerable(ct))
            {
                last = step;
                WriteVerbose($"{step.Activity}: {step.Status}");
                WriteProgress(new ProgressRecord(activityId, step.Activity, step.Status) { PercentComplete = step.PercentComplete });
            }

            return task;
        });
        if (last is not null)
        {
            WriteProgress(new ProgressRecord(activityId, last.Activity, ok ? "Done" : "Failed") { RecordType = ProgressRecordType.Completed });
        }

        if (!ok)
        {
            ThrowTerminatingError(error!);
        }

        return result!;
    }

    /// <summary>
    /// Plans the objects against the API server, then applies each create or update that ShouldProcess
    /// allows (-WhatIf prints them, -Confirm asks), writing one CitusManifestChange per object (unchanged
    /// objects and kept Secrets as verbose lines too). Returns how many were applied, of how many.
    /// </summary>
    protected (int Applied, int Total) ApplyObjects(ClusterPublishing session, IReadOnlyList<object> objects, bool forceConflicts)
    {
        ArgumentNullException.ThrowIfNull(session);
        WriteVerbose($"Planning {objects.Count} objects against {session.Server}");
        var plan = RunCore(ct => session.PlanAsync(objects, forceConflicts, ct));
        var applied = 0;
        for (var i = 0; i < plan.Count; i++)
        {
            var change = plan[i];
            if (change.Action is Core.Kubernetes.Apply.ManifestAction.Unchanged or Core.Kubernetes.Apply.ManifestAction.Keep)
            {
                WriteVerbose($"{change.Target}: {(change.Action == Core.Kubernetes.Apply.ManifestAction.Keep ? "exists, kept as it is" : "unchanged")}");
                WriteObject(OutputMapper.ToOutput(change));
                continue;
            }

            var action = change.Action == Core.Kubernetes.Apply.ManifestAction.Create ? "Create (server-side apply)" : $"Update {string.Join(", ", change.Fields)} (server-side apply)";
            if (!ShouldProcess(change.Target, action))
            {
                continue;
            }

            WriteProgress(new ProgressRecord(1, $"Applying to {session.Server}", change.Target) { PercentComplete = i * 100 / plan.Count });
            WriteObject(OutputMapper.ToOutput(RunCore(ct => session.ApplyAsync(change, forceConflicts, ct))));
            applied++;
        }

        WriteProgress(new ProgressRecord(1, $"Applying to {session.Server}", "Done") { RecordType = ProgressRecordType.Completed });
        return (applied, plan.Count);
    }

    /// <summary>The Kubernetes API server as kubectl would choose it (a PowerShell path for -Kubeconfig is resolved first).</summary>
    protected ClusterPublishing OpenKubernetes(string? kubeconfig, string? context) =>
        RunCore(_ => Task.FromResult(ClusterPublishing.Open(kubeconfig is null ? null : GetUnresolvedProviderPathFromPSPath(kubeconfig), context)));

    /// <summary>-WhatIf given, or $WhatIfPreference set by the caller.</summary>
    protected bool WhatIfRequested =>
        MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w) ? ((SwitchParameter)w).IsPresent
            : SessionState.PSVariable.GetValue("WhatIfPreference") is { } pref && LanguagePrimitives.IsTrue(pref);

    /// <summary>
    /// The confirmation for a disruptive action (ConfirmImpact High): -WhatIf shows and declines;
    /// -Force (without -Confirm) skips the prompt; otherwise ShouldProcess asks. Where nobody can answer
    /// (a non-interactive host, or a console whose input is redirected), it fails at once with
    /// ConfirmationRequired instead of hanging.
    /// </summary>
    protected bool ConfirmDisruptive(bool force, string target, string action)
    {
        var bound = MyInvocation.BoundParameters;
        var whatIf = WhatIfRequested;
        // -Confirm given (true), -Confirm:$false given (false), or not given at all (null).
        bool? confirm = bound.TryGetValue("Confirm", out var c) ? ((SwitchParameter)c).IsPresent : null;
        if (whatIf)
        {
            ShouldProcess(target, action);
            return false;
        }

        if (force && confirm != true)
        {
            return true;
        }

        if (confirm != false && !CanPrompt())
        {
            ThrowTerminatingError(ConfirmationRequired(target, action, "it is non-interactive or its input is redirected"));
        }

        try
        {
            return ShouldProcess(target, action);
        }
        catch (Exception e) when (e is PSInvalidOperationException or System.Management.Automation.Host.HostException)
        {
            ThrowTerminatingError(ConfirmationRequired(target, action, e.Message));
            return false;
        }
    }

    private static ErrorRecord ConfirmationRequired(string target, string action, string why) => new(
        new CitusHaErrorException(ErrorIds.ConfirmationRequired,
            $"'{action}' on '{target}' needs a confirmation, and this PowerShell host cannot ask for one ({why}). Pass -Force, or -Confirm:$false, to go ahead."),
        ErrorIds.ConfirmationRequired, ErrorCategory.InvalidOperation, target);

    /// <summary>pwsh's console host started with -NonInteractive, or with redirected input, cannot answer a prompt.</summary>
    private bool CanPrompt()
    {
        if (Host.Name != "ConsoleHost")
        {
            return true; // another host (an IDE, a test host, Automation) answers or refuses by itself
        }

        var arguments = Environment.GetCommandLineArgs();
        var nonInteractive = arguments.Any(a => a.Length > 4 && "-noninteractive".StartsWith(a, StringComparison.OrdinalIgnoreCase));
        return !nonInteractive && !Console.IsInputRedirected;
    }

    /// <summary>Core reports milestones only (a handful per action), so every one is kept: each is also a verbose line.</summary>
    private sealed class QueueProgress(BlockingCollection<OperationProgress> queue) : IProgress<OperationProgress>
    {
        public void Report(OperationProgress value)
        {
            try
            {
                queue.Add(value);
            }
            catch (InvalidOperationException)
            {
                // Reported after the call finished: nothing is listening any more.
            }
        }
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
