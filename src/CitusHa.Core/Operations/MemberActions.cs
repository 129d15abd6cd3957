using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using CitusHa.Core.Errors;
using CitusHa.Core.Model;

namespace CitusHa.Core.Operations;

/// <summary>Which members a restart addresses, and Patroni's filters the members check again themselves.</summary>
public sealed record MemberRestartRequest(int? Group, IReadOnlyCollection<string> Members, bool PendingOnly = false, string? Role = null, DateTimeOffset? ScheduledAt = null, TimeSpan? Timeout = null)
{
    /// <summary>The members of <paramref name="group"/> to restart, replicas first, the leader last; unknown names are an error.</summary>
    public IReadOnlyList<TopologyMember> Select(GroupTopology group)
    {
        ArgumentNullException.ThrowIfNull(group);
        var unknown = Members.Where(n => group.Members.All(m => m.Name != n)).ToList();
        if (unknown.Count > 0)
        {
            throw new CitusHaException(CitusErrorKind.NotFound, ErrorIds.MemberNotFound,
                $"Not members of {CandidateRules.Describe(group)}: {string.Join(", ", unknown)}; its members are {string.Join(", ", group.Members.Select(m => m.Name))}.", unknown[0]);
        }

        return group.Members
            .Where(m => Members.Count == 0 || Members.Contains(m.Name))
            .OrderBy(m => m.Name == group.Leader ? 1 : 0)
            .ThenBy(m => m.Name, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Patroni's POST /restart body.</summary>
    public JsonObject Body()
    {
        var body = new JsonObject();
        if (PendingOnly)
        {
            body["restart_pending"] = true;
        }

        if (Role is not null)
        {
            body["role"] = Role;
        }

        if (ScheduledAt is { } at)
        {
            body["schedule"] = at.ToString("O", CultureInfo.InvariantCulture);
        }

        if (Timeout is { } t)
        {
            body["timeout"] = (int)t.TotalSeconds;
        }

        return body;
    }
}

/// <summary>What happened to one member: Restarted, Scheduled, Skipped (its filters did not hold), Started (a reinitialisation), Rebuilt.</summary>
public sealed record MemberActionResult(string Scope, int? Group, string Member, string Outcome, string Message, TimeSpan? Duration = null);

/// <summary>Restart and reinitialise, through each member's REST API, as patronictl restart and reinit do.</summary>
public static class MemberActions
{
    /// <summary>The group and the members a restart addresses, in the order to restart them.</summary>
    public static async Task<(GroupTopology Group, IReadOnlyList<TopologyMember> Members)> SelectAsync(OperatorConnection connection, MemberRestartRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(request);
        var store = DcsConnection.Open(connection.Dcs);
        await using (store.ConfigureAwait(false))
        {
            var (group, _) = await GroupReader.ReadAsync(store, connection, request.Group, cancellationToken).ConfigureAwait(false);
            return (group, request.Select(group));
        }
    }

    /// <summary>Restarts one member (the caller walks <see cref="MemberRestartRequest.Select"/> in order, so it can confirm each).</summary>
    public static async Task<MemberActionResult> RestartAsync(OperatorConnection connection, TopologyMember member, MemberRestartRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(request);
        var timeout = (request.Timeout ?? TimeSpan.FromMinutes(2)) + TimeSpan.FromSeconds(10);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var (status, text) = await MemberApi.SendAsync(HttpMethod.Post, member.ApiUrl, "restart", request.Body(), connection, timeout, cancellationToken).ConfigureAwait(false);
            return status == HttpStatusCode.Accepted
                ? new MemberActionResult(member.Scope, member.Group, member.Name, "Scheduled", text)
                : new MemberActionResult(member.Scope, member.Group, member.Name, "Restarted", text, clock.Elapsed);
        }
        catch (CitusHaException e) when (e.ErrorId == ErrorIds.RequestRefused && e.Message.Contains("restart conditions are not satisfied", StringComparison.Ordinal))
        {
            // Patroni's answer when the filters (pending restart, role, version) do not hold: not a failure.
            return new MemberActionResult(member.Scope, member.Group, member.Name, "Skipped", "restart conditions are not satisfied");
        }
    }

    /// <summary>
    /// Rebuilds a standby from the leader (stop, wipe, base backup, start) and, unless <paramref name="wait"/>
    /// is null, waits until it streams again.
    /// </summary>
    public static async Task<MemberActionResult> ReinitializeAsync(OperatorConnection connection, int? group, string member, TimeSpan? wait, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var store = DcsConnection.Open(connection.Dcs);
        await using (store.ConfigureAwait(false))
        {
            var (current, _) = await GroupReader.ReadAsync(store, connection, group, cancellationToken).ConfigureAwait(false);
            var target = current.Members.FirstOrDefault(m => m.Name == member)
                ?? throw new CitusHaException(CitusErrorKind.NotFound, ErrorIds.MemberNotFound,
                    $"'{member}' is not a member of {CandidateRules.Describe(current)}; its members are {string.Join(", ", current.Members.Select(m => m.Name))}.", member);
            if (target.Name == current.Leader)
            {
                throw new CitusHaException(CitusErrorKind.Conflict, ErrorIds.MemberIsLeader,
                    $"'{member}' leads {CandidateRules.Describe(current)}; a leader cannot be rebuilt from itself. Switch over first (Invoke-CitusSwitchover), then reinitialise it.", member);
            }

            if (current.Leader is null)
            {
                throw new CitusHaException(CitusErrorKind.Conflict, ErrorIds.NoLeader,
                    $"{CandidateRules.Describe(current)} has no leader to rebuild '{member}' from.", current.Group);
            }

            var activity = $"Reinitialising {member}";
            progress?.Report(new OperationProgress(activity, $"Asking {member} to rebuild from {current.Leader}", 10));
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var (_, text) = await MemberApi.SendAsync(HttpMethod.Post, target.ApiUrl, "reinitialize", [], connection, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            if (wait is not { } limit)
            {
                return new MemberActionResult(current.Scope, current.Group, member, "Started", text);
            }

            progress?.Report(new OperationProgress(activity, "Waiting for the base backup and for streaming", 40));
            // First the rebuild must show (the member leaves "streaming"), then it must stream again.
            var left = false;
            await GroupReader.WaitForAsync(store, connection, current.Group ?? group, g =>
            {
                var state = g.Members.FirstOrDefault(m => m.Name == member)?.State;
                left |= state != "streaming";
                return left && state == "streaming" ? g : null;
            }, limit, $"{member} to stream from {current.Leader} again", cancellationToken).ConfigureAwait(false);
            return new MemberActionResult(current.Scope, current.Group, member, "Rebuilt", text, clock.Elapsed);
        }
    }
}
