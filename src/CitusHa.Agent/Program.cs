using System.CommandLine;
using CitusHa.Agent.Cli;

// Wiring only: the commands live in Cli/. SIGTERM and Ctrl+C cancel the command's token; a graceful
// hand-over (checkpoint, fast stop, key release) gets up to two minutes before the process ends.
var configuration = new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromMinutes(2) };
return await CliApplication.Build().Parse(args).InvokeAsync(configuration).ConfigureAwait(false);
