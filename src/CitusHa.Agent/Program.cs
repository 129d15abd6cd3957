using CitusHa.Agent.Cli;

// Wiring only: the commands live in Cli/.
return await CliApplication.Build().Parse(args).InvokeAsync().ConfigureAwait(false);
