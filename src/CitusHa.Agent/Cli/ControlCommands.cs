using System.CommandLine;
using System.Globalization;
using CitusHa.Core.Configuration;
using CitusHa.Core.Errors;
using CitusHa.Core.Operations;

namespace CitusHa.Agent.Cli;

/// <summary><c>citusha switchover | failover | pause | resume</c>: patronictl's operator commands.</summary>
internal static class ControlCommands
{
    public static IEnumerable<Command> Create()
    {
        yield return Switchover();
        yield return Failover();
        yield return Restart();
        yield return Reinit();
        yield return Pause(pause: true);
        yield return Pause(pause: false);
    }

    private static Command Switchover()
    {
        var (command, connectionOptions, cluster, group) = Base("switchover", "Hand the leader role to another member of a group, gracefully.");
        var leader = new Option<string?>("--leader", "--primary") { Description = "The current leader (checked; default: whoever leads)." };
        var candidate = new Option<string?>("--candidate") { Description = "The member to promote (default: the healthiest standby)." };
        var scheduled = new Option<string?>("--scheduled") { Description = "When, as an ISO 8601 time with a zone (default: now)." };
        command.Options.Add(leader);
        command.Options.Add(candidate);
        command.Options.Add(scheduled);
        command.SetAction((result, ct) => RunAsync(async () =>
        {
            DateTimeOffset? at = result.GetValue(scheduled) is { } text && text != "now"
                ? DateTimeOffset.Parse(text, CultureInfo.InvariantCulture)
                : null;
            var connection = Connection(connectionOptions, result, cluster);
            if (result.GetValue(leader) is { } expected)
            {
                await ExpectLeaderAsync(connection, result.GetValue(group), expected, ct).ConfigureAwait(false);
            }

            var done = await Core.Operations.Switchover.RunAsync(connection, new SwitchoverRequest(result.GetValue(group), result.GetValue(candidate), at), null, ct).ConfigureAwait(false);
            return Describe(done);
        }));
        return command;
    }

    private static Command Failover()
    {
        var (command, connection, cluster, group) = Base("failover", "Promote a named member now, whether or not the group has a healthy leader.");
        var candidate = new Option<string>("--candidate") { Description = "The member to promote.", Required = true };
        command.Options.Add(candidate);
        command.SetAction((result, ct) => RunAsync(async () =>
        {
            var done = await Core.Operations.Switchover.RunAsync(Connection(connection, result, cluster),
                new SwitchoverRequest(result.GetValue(group), result.GetValue(candidate), failover: true), null, ct).ConfigureAwait(false);
            return Describe(done);
        }));
        return command;
    }

    private static Command Restart()
    {
        var (command, connection, cluster, group) = Base("restart", "Restart PostgreSQL on members of a group (all when none are named), replicas first.");
        var members = new Option<string[]>("--member") { Description = "Only these members.", AllowMultipleArgumentsPerToken = true };
        command.Options.Add(members);
        command.SetAction((result, ct) => RunAsync(async () =>
        {
            var operator_ = Connection(connection, result, cluster);
            var request = new MemberRestartRequest(result.GetValue(group), result.GetValue(members) ?? []);
            var (_, selected) = await MemberActions.SelectAsync(operator_, request, ct).ConfigureAwait(false);
            var lines = new List<string>();
            foreach (var member in selected)
            {
                var done = await MemberActions.RestartAsync(operator_, member, request, ct).ConfigureAwait(false);
                lines.Add(done.Outcome == "Restarted" ? $"Success: restart on member {done.Member}" : $"{done.Outcome}: restart on member {done.Member} ({done.Message})");
            }

            return string.Join(Environment.NewLine, lines);
        }));
        return command;
    }

    private static Command Reinit()
    {
        var (command, connection, cluster, group) = Base("reinit", "Rebuild a replica from the leader (stop, wipe, base backup, start).");
        var member = new Option<string>("--member") { Description = "The replica to rebuild.", Required = true };
        command.Options.Add(member);
        command.SetAction((result, ct) => RunAsync(async () =>
        {
            var done = await MemberActions.ReinitializeAsync(Connection(connection, result, cluster), result.GetValue(group), result.GetValue(member)!, wait: null, progress: null, ct).ConfigureAwait(false);
            return $"Success: {done.Message} on member {done.Member}";
        }));
        return command;
    }

    private static Command Pause(bool pause)
    {
        var (command, connection, cluster, group) = Base(pause ? "pause" : "resume", pause
            ? "Maintenance mode: no automatic failover or restarts in the group until resume."
            : "Leave maintenance mode.");
        command.SetAction((result, ct) => RunAsync(async () =>
        {
            var done = await Maintenance.SetAsync(Connection(connection, result, cluster), result.GetValue(group), pause, SwitchoverRequest.DefaultTimeout, ct).ConfigureAwait(false);
            return (done.Changed, pause) switch
            {
                (true, true) => "Success: cluster management is paused",
                (true, false) => "Success: cluster management is resumed",
                (false, true) => "Cluster is already paused",
                (false, false) => "Cluster is not paused",
            };
        }));
        return command;
    }

    private static (Command Command, ConnectionOptions Connection, Argument<string?> Cluster, Option<int> Group) Base(string name, string description)
    {
        var command = new Command(name, description);
        var connection = new ConnectionOptions();
        var cluster = new Argument<string?>("cluster") { Description = "Cluster name (scope); from the configuration file when omitted.", Arity = ArgumentArity.ZeroOrOne };
        var group = new Option<int>("--group") { Description = "Citus group (0 is the coordinator).", DefaultValueFactory = _ => 0 };
        command.Arguments.Add(cluster);
        command.Options.Add(group);
        connection.AddTo(command);
        return (command, connection, cluster, group);
    }

    private static DcsSettings Settings(ConnectionOptions connection, ParseResult result, Argument<string?> cluster)
    {
        var settings = connection.Resolve(result, result.GetValue(cluster));
        return settings.Scope is null
            ? throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.InvalidClusterName, "Name the cluster: give it as an argument, in the configuration file (scope) or in CITUSHA_SCOPE.")
            : settings;
    }

    private static OperatorConnection Connection(ConnectionOptions connection, ParseResult result, Argument<string?> cluster) =>
        new(Settings(connection, result, cluster), ApiCredentials(), DcsSettingsResolver.ResolveApiCaFile(null, null, Environment.GetEnvironmentVariable));

    /// <summary>patronictl's --leader: the switchover goes ahead only if that member leads now.</summary>
    private static async Task ExpectLeaderAsync(OperatorConnection connection, int group, string expected, CancellationToken ct)
    {
        var store = DcsConnection.Open(connection.Dcs);
        await using (store.ConfigureAwait(false))
        {
            var (current, _) = await GroupReader.ReadAsync(store, connection, group, ct).ConfigureAwait(false);
            if (current.Leader != expected)
            {
                throw new CitusHaException(CitusErrorKind.Conflict, ErrorIds.RequestRefused,
                    $"{expected} is not the leader of group {group}; {current.Leader ?? "nobody"} is.", expected);
            }
        }
    }

    /// <summary>patronictl's words for the outcome, so scripts written for it keep working.</summary>
    private static string Describe(SwitchoverResult done) =>
        done.ScheduledAt is { } at
            ? $"Switchover scheduled at {at:O} ({done.Message})"
            : done.Message.Contains(" instead of ", StringComparison.Ordinal)
                ? done.Message
                : $"Successfully {(done.Failover ? "failed" : "switched")} over to \"{done.NewLeader}\" (timeline {done.NewTimeline}, writable after {done.Duration?.TotalSeconds:0.00} s)";

    /// <summary>REST API credentials from CITUSHA_RESTAPI_USERNAME/PASSWORD (never from the command line).</summary>
    private static DcsCredentials? ApiCredentials() =>
        Environment.GetEnvironmentVariable("CITUSHA_RESTAPI_USERNAME") is { Length: > 0 } user
            ? new DcsCredentials(user, Environment.GetEnvironmentVariable("CITUSHA_RESTAPI_PASSWORD") ?? string.Empty)
            : null;

    private static async Task<int> RunAsync(Func<Task<string>> action)
    {
        try
        {
            await Console.Out.WriteLineAsync(await action().ConfigureAwait(false)).ConfigureAwait(false);
            return 0;
        }
        catch (CitusHaException e)
        {
            await Console.Error.WriteLineAsync($"citusha: {e.Message} [{e.ErrorId}]").ConfigureAwait(false);
            return ExitCodes.For(e.Kind);
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync($"citusha: --scheduled must be an ISO 8601 time with a zone, e.g. 2026-11-23T18:00:00+00:00 ({e.Message}) [InvalidArgument]").ConfigureAwait(false);
            return 2;
        }
    }
}
