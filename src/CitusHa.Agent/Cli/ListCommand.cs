using System.CommandLine;
using CitusHa.Core.Errors;
using CitusHa.Core.Operations;

namespace CitusHa.Agent.Cli;

/// <summary><c>citusha list [CLUSTER] [--group N]</c>: the formation as a patronictl-style table.</summary>
internal static class ListCommand
{
    public static Command Create()
    {
        var connection = new ConnectionOptions();
        var cluster = new Argument<string?>("cluster") { Description = "Cluster name (scope); all clusters when omitted.", Arity = ArgumentArity.ZeroOrOne };
        var group = new Option<int[]>("--group") { Description = "Only these Citus groups.", AllowMultipleArgumentsPerToken = true };
        var command = new Command("list", "List the members of a formation, like patronictl list.");
        command.Arguments.Add(cluster);
        command.Options.Add(group);
        connection.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            try
            {
                var settings = connection.Resolve(result, result.GetValue(cluster));
                var topology = await Topology.GetAsync(settings, new TopologyRequest(result.GetValue(group)), cancellationToken).ConfigureAwait(false);
                await Console.Out.WriteAsync(TopologyTable.Render(topology.Clusters)).ConfigureAwait(false);
                foreach (var missing in topology.MissingGroups)
                {
                    await Console.Error.WriteLineAsync($"citusha: Citus group {missing} does not exist. [{ErrorIds.GroupNotFound}]").ConfigureAwait(false);
                }

                return topology.MissingGroups.Count > 0 ? ExitCodes.For(CitusErrorKind.NotFound) : 0;
            }
            catch (CitusHaException e)
            {
                await Console.Error.WriteLineAsync($"citusha: {e.Message} [{e.ErrorId}]").ConfigureAwait(false);
                return ExitCodes.For(e.Kind);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                await Console.Error.WriteLineAsync($"citusha: unexpected failure ({e.GetType().Name}): {e.Message} [{ErrorIds.UnexpectedError}]").ConfigureAwait(false);
                return 1;
            }
        });
        return command;
    }
}
