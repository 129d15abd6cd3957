using System.Management.Automation;
using System.Management.Automation.Runspaces;
using CitusHa.Shell;

// Usage: citusha-shell -File script.ps1 [args...] | citusha-shell -Command "..."
if (args.Length < 2 || args[0] is not ("-File" or "-Command"))
{
    await Console.Error.WriteLineAsync("usage: citusha-shell -File <script.ps1> [arguments...] | -Command <script text>");
    return 2;
}

var host = new ConsoleHost();
using var runspace = RunspaceFactory.CreateRunspace(host, InitialSessionState.CreateDefault2());
runspace.Open();
using var ps = PowerShell.Create(runspace);
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    ps.BeginStop(null, null);
};

ps.AddScript("$PSStyle.OutputRendering = 'PlainText'").AddStatement();
if (args[0] == "-File")
{
    // Like pwsh -File: the script runs as a command, "-Name value" pairs bind to its parameters.
    ps.AddCommand(Path.GetFullPath(args[1]));
    ScriptArguments.Bind(ps, args.Skip(2).ToArray());
}
else
{
    ps.AddScript(args[1]);
}

ps.AddCommand("Out-Default");
try
{
    ps.Invoke();
}
catch (RuntimeException e)
{
    await Console.Error.WriteLineAsync($"{e.ErrorRecord.FullyQualifiedErrorId}: {e.Message}");
    return 1;
}

foreach (var error in ps.Streams.Error)
{
    await Console.Error.WriteLineAsync($"{error.FullyQualifiedErrorId}: {error.Exception.Message}");
}

return ps.HadErrors ? 1 : host.ExitCode;
