using System.CommandLine;

namespace CitusHa.Agent.Cli;

/// <summary>The <c>citusha</c> command line: one root, one class per command.</summary>
internal static class CliApplication
{
    public static RootCommand Build()
    {
        var root = new RootCommand("CitusHa: highly available Citus on etcd. Patroni-compatible.");
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(LocalCommand.Create());
        root.Subcommands.Add(ListCommand.Create());
        foreach (var command in ControlCommands.Create())
        {
            root.Subcommands.Add(command);
        }
        return root;
    }
}
