using System.CommandLine;
using CitusHa.Core.Configuration;
using CitusHa.Core.Errors;
using CitusHa.Core.Formation;
using CitusHa.Core.Model;
using CitusHa.Core.Operations;

namespace CitusHa.Agent.Cli;

/// <summary>
/// <c>citusha local up</c>: a whole formation on this machine (etcd + groups × members, each an agent
/// with its own PostgreSQL) that lives until Ctrl+C or SIGTERM, then stops everything by PID.
/// </summary>
internal static class LocalCommand
{
    public static Command Create()
    {
        var up = new Command("up", "Start etcd and the agents of a local formation; stop them all on Ctrl+C or SIGTERM.");
        var root = new Option<string>("--root") { Description = "Folder for etcd's and every member's data.", Required = true };
        var members = new Option<int>("--members") { Description = "Members per group.", DefaultValueFactory = _ => 3 };
        var groups = new Option<int>("--groups") { Description = "Groups (1 = one PostgreSQL group; Citus needs 2 or more).", DefaultValueFactory = _ => 1 };
        var basePort = new Option<int>("--base-port") { Description = "First port: etcd client, etcd peer, then REST and PostgreSQL per member.", DefaultValueFactory = _ => 27000 };
        var scope = new Option<string>("--scope") { Description = "Cluster name.", DefaultValueFactory = _ => "demo" };
        foreach (var option in new Option[] { root, members, groups, basePort, scope })
        {
            up.Options.Add(option);
        }

        up.SetAction(async (result, cancellationToken) =>
        {
            var options = new LocalFormationOptions
            {
                Root = Path.GetFullPath(result.GetValue(root)!),
                AgentCommand = AgentCommand(),
                Scope = result.GetValue(scope)!,
                MembersPerGroup = result.GetValue(members),
                Groups = result.GetValue(groups),
                BasePort = result.GetValue(basePort),
                EtcdBinary = Environment.GetEnvironmentVariable("CITUSHA_ETCD_BIN") ?? "etcd",
                PostgresBinDirectory = Environment.GetEnvironmentVariable("CITUSHA_PG_BINDIR"),
                RunAsUser = Environment.IsPrivilegedProcess ? "postgres" : null,
            };
            await using var formation = new LocalFormation(options);
            try
            {
                await formation.StartAsync(cancellationToken).ConfigureAwait(false);
                var dcs = DcsSettings.Create([formation.EtcdEndpoint], null, options.Scope, null, TimeSpan.FromSeconds(3));
                await WaitHealthyAsync(dcs, options.Groups * options.MembersPerGroup, cancellationToken).ConfigureAwait(false);
                await Console.Out.WriteLineAsync($"ready: etcd {formation.EtcdEndpoint}, cluster '{options.Scope}', {formation.Members.Count} members under {options.Root}").ConfigureAwait(false);
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await Console.Out.WriteLineAsync("stopping the local formation").ConfigureAwait(false);
            }
            catch (CitusHaException e)
            {
                await Console.Error.WriteLineAsync($"citusha: {e.Message} [{e.ErrorId}]").ConfigureAwait(false);
                return ExitCodes.For(e.Kind);
            }

            return 0;
        });
        var local = new Command("local", "A formation of processes on this machine: the quick start, tests and benchmarks.");
        local.Subcommands.Add(up);
        return local;
    }

    private static async Task WaitHealthyAsync(DcsSettings dcs, int expected, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromMinutes(3));
        while (true)
        {
            try
            {
                var members = (await Topology.GetAsync(dcs, new TopologyRequest(), deadline.Token).ConfigureAwait(false)).Clusters.SelectMany(c => c.Members).ToList();
                if (members.Count == expected && members.All(m => m.Role == MemberRole.Leader ? m.State == "running" : m.State == "streaming"))
                {
                    return;
                }
            }
            catch (CitusHaException e) when (e.Kind == CitusErrorKind.NotFound)
            {
                // Nobody has registered yet.
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new CitusHaException(CitusErrorKind.Timeout, ErrorIds.CommandTimedOut, "The local formation did not become healthy within 3 minutes; see agent.log in each member's folder.");
            }

            await Task.Delay(250, deadline.Token).ConfigureAwait(false);
        }
    }

    /// <summary>This same binary: "dotnet citusha.dll" when run through the host, else the apphost itself.</summary>
    private static string[] AgentCommand()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? [process, typeof(LocalCommand).Assembly.Location]
            : [process];
    }
}
