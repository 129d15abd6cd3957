using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace CitusHa.Testing.PowerShell;

/// <summary>
/// A real PowerShell engine (System.Management.Automation 7.6) in this process, with the built
/// module imported by its .psd1 the way a user imports it. Only Microsoft.PowerShell.Core commands
/// exist here (no Select-Object, Format-Table, ConvertTo-Json): test scripts use the language itself,
/// Where-Object and ForEach-Object.
/// </summary>
public sealed class ModuleSession : IDisposable
{
    private readonly Runspace runspace;

    private ModuleSession(Runspace runspace, CapturingHost host, string manifestPath)
    {
        this.runspace = runspace;
        Host = host;
        ManifestPath = manifestPath;
    }

    public CapturingHost Host { get; }

    public string ManifestPath { get; }

    /// <summary>Opens a runspace on a capturing host and, unless told not to, imports the module.</summary>
    public static ModuleSession Open(bool importModule = true, string? manifestPath = null)
    {
        var host = new CapturingHost();
        var state = InitialSessionState.CreateDefault2();
        var runspace = RunspaceFactory.CreateRunspace(host, state);
        runspace.Open();
        var session = new ModuleSession(runspace, host, manifestPath ?? ModuleLocator.ManifestPath());
        var setup = session.Invoke("$PSStyle.OutputRendering = 'PlainText'; $ProgressPreference = 'SilentlyContinue'");
        if (setup.Terminating is not null)
        {
            throw new InvalidOperationException("Could not prepare the runspace: " + setup.Describe());
        }

        if (importModule)
        {
            var import = session.Invoke("Import-Module -Name $args[0] -ErrorAction Stop", session.ManifestPath);
            if (import.Terminating is not null || import.Errors.Count > 0)
            {
                throw new InvalidOperationException("Import-Module failed: " + import.Describe());
            }
        }

        return session;
    }

    /// <summary>How long one script may run before the session stops it and the test fails.</summary>
    public TimeSpan ScriptTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Runs <paramref name="script"/> with <paramref name="arguments"/> as $args; never throws for
    /// script errors. A script still running after <see cref="ScriptTimeout"/> is stopped and the
    /// call throws <see cref="TimeoutException"/>, so a hanging cmdlet fails its test instead of the run.
    /// </summary>
    public ScriptResult Invoke(string script, params object?[] arguments)
    {
        using var ps = System.Management.Automation.PowerShell.Create(runspace);
        ps.AddScript(script);
        foreach (var argument in arguments)
        {
            ps.AddArgument(argument);
        }

        Host.UI.Clear();
        RuntimeException? terminating = null;
        using var outputBuffer = new PSDataCollection<PSObject>();
        var running = ps.BeginInvoke<PSObject, PSObject>(input: null, output: outputBuffer);
        if (!running.AsyncWaitHandle.WaitOne(ScriptTimeout))
        {
            ps.Stop();
            throw new TimeoutException($"The script did not finish within {ScriptTimeout.TotalSeconds:0} s and was stopped: {script}");
        }

        try
        {
            ps.EndInvoke(running);
        }
        catch (RuntimeException e)
        {
            terminating = e;
        }

        return new ScriptResult(
            outputBuffer.ToList(),
            ps.Streams.Error.ToList(),
            ps.Streams.Verbose.ToList(),
            ps.Streams.Warning.ToList(),
            ps.Streams.Progress.ToList(),
            Host.UI.Text,
            terminating);
    }

    /// <summary>Runs with named variables set first (e.g. <c>@{ endpoint = "..." }</c>).</summary>
    public ScriptResult Invoke(string script, IDictionary variables)
    {
        foreach (DictionaryEntry entry in variables)
        {
            runspace.SessionStateProxy.SetVariable((string)entry.Key, entry.Value);
        }

        return Invoke(script);
    }

    /// <summary>A PowerShell instance on this session's runspace, for tests that drive it directly (BeginInvoke, Stop).</summary>
    public System.Management.Automation.PowerShell CreatePowerShell() => System.Management.Automation.PowerShell.Create(runspace);

    public void Dispose()
    {
        runspace.Dispose();
    }
}
