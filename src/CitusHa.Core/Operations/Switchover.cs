using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using CitusHa.Core.Errors;
using CitusHa.Core.Model;

namespace CitusHa.Core.Operations;

/// <summary>
/// Switchover and failover as patronictl does them (POST /switchover or /failover to the leader), with
/// the candidate checked first (<see cref="CandidateRules"/>) and the result read back from etcd: the
/// call returns when the new leader runs as primary on a new timeline, i.e. accepts writes.
/// </summary>
public static class Switchover
{
    public static async Task<SwitchoverResult> RunAsync(OperatorConnection connection, SwitchoverRequest request, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(request);
        var verb = request.Failover ? "Failover" : "Switchover";
        var store = DcsConnection.Open(connection.Dcs);
        await using (store.ConfigureAwait(false))
        {
            var (group, _) = await GroupReader.ReadAsync(store, connection, request.Group, cancellationToken).ConfigureAwait(false);
            var activity = $"{verb} of {CandidateRules.Describe(group)}";
            progress?.Report(new OperationProgress(activity, "Checking the candidate", 10));
            var problem = request.Failover
                ? CandidateRules.CheckFailover(group, request.Candidate!)
                : CandidateRules.CheckSwitchover(group, request.Candidate, scheduled: request.ScheduledAt is not null);
            if (problem is not null)
            {
                throw problem;
            }

            var oldLeader = group.LeaderMember;
            var target = oldLeader ?? group.Members.First(m => m.Name == request.Candidate);
            var body = new JsonObject();
            if (oldLeader is not null && !request.Failover)
            {
                body["leader"] = oldLeader.Name;
            }

            if (request.Candidate is not null)
            {
                body["candidate"] = request.Candidate;
            }

            if (request.ScheduledAt is { } at)
            {
                body["scheduled_at"] = at.ToString("O", CultureInfo.InvariantCulture);
            }

            progress?.Report(new OperationProgress(activity, $"Asking {target.Name} to {(request.ScheduledAt is null ? "hand over" : "schedule the switchover")}", 30));
            var clock = Stopwatch.StartNew();
            var path = request.Failover ? "failover" : "switchover";
            string answer;
            try
            {
                (_, answer) = await MemberApi.SendAsync(HttpMethod.Post, target.ApiUrl, path, body, connection, request.Timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (CitusHaException e) when (e.ErrorId == ErrorIds.RequestFailed && request.ScheduledAt is null)
            {
                // "status unknown": the member stopped waiting, the switchover may still complete. etcd tells.
                answer = e.Message;
            }

            if (request.ScheduledAt is not null)
            {
                return new SwitchoverResult(group.Scope, group.Group, oldLeader?.Name, null, group.Timeline, null, request.Failover, request.ScheduledAt, null, answer);
            }

            progress?.Report(new OperationProgress(activity, "Waiting for the new leader to accept writes", 70));
            var remaining = request.Timeout - clock.Elapsed;
            var after = await GroupReader.WaitForAsync(store, connection, group.Group ?? request.Group, g => HasNewWritableLeader(g, oldLeader) ? g : null,
                remaining > TimeSpan.Zero ? remaining : TimeSpan.FromSeconds(1),
                $"a new leader of {CandidateRules.Describe(group)} that accepts writes", cancellationToken).ConfigureAwait(false);
            var duration = clock.Elapsed;
            var newLeader = after.LeaderMember!;
            var message = request.Candidate is null || request.Candidate == newLeader.Name
                ? $"{(request.Failover ? "Failed" : "Switched")} over to {newLeader.Name}"
                : $"{(request.Failover ? "Failed" : "Switched")} over to {newLeader.Name} instead of {request.Candidate}";
            return new SwitchoverResult(group.Scope, group.Group, oldLeader?.Name, newLeader.Name, group.Timeline, newLeader.Timeline, request.Failover, null, duration, message);
        }
    }

    /// <summary>Another member holds the key, and its record says it runs as primary on a newer timeline.</summary>
    public static bool HasNewWritableLeader(GroupTopology group, TopologyMember? oldLeader)
    {
        ArgumentNullException.ThrowIfNull(group);
        return group.LeaderMember is { } leader
            && leader.Name != oldLeader?.Name
            && leader.State == "running"
            && (oldLeader?.Timeline is not { } before || leader.Timeline > before);
    }
}
