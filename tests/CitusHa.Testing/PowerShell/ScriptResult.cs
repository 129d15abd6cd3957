using System.Management.Automation;

namespace CitusHa.Testing.PowerShell;

/// <summary>Everything one script produced: output, every stream, console text, and a terminating error if any.</summary>
public sealed record ScriptResult(
    IReadOnlyList<PSObject> Output,
    IReadOnlyList<ErrorRecord> Errors,
    IReadOnlyList<VerboseRecord> Verbose,
    IReadOnlyList<WarningRecord> Warnings,
    IReadOnlyList<ProgressRecord> Progress,
    string HostText,
    RuntimeException? Terminating)
{
    /// <summary>Output as base objects of type <typeparamref name="T"/> (fails loudly on anything else).</summary>
    public IReadOnlyList<T> OutputOf<T>() => Output.Select(o => (T)o.BaseObject).ToList();

    public string Describe() =>
        $"Output: {Output.Count} object(s); errors: [{string.Join("; ", Errors.Select(e => $"{e.FullyQualifiedErrorId}: {e.Exception.Message}"))}]; terminating: {Terminating?.ErrorRecord.FullyQualifiedErrorId} {Terminating?.Message}\nHost text:\n{HostText}";
}
