using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CitusHa.Agent.Loop;
using CitusHa.Core.Dcs;
using CitusHa.Core.Ha.Dcs;

namespace CitusHa.Agent.Api;

/// <summary>
/// <c>POST /switchover</c> and <c>POST /failover</c> with Patroni's validation order and status codes
/// (§4.1): write the <c>failover</c> key, wake the loop, and wait for the new leader.
/// </summary>
internal sealed class SwitchoverEndpoint(AgentContext context, Action<string> wake, TimeProvider time)
{
    /// <summary>
    /// <c>DELETE /switchover</c> (patronictl flush … switchover): removes a scheduled switchover with a
    /// compare-and-swap on the key it read; 404 when none is scheduled, 409 when the key changed meanwhile.
    /// </summary>
    public async Task<IResult> CancelScheduledAsync(CancellationToken ct)
    {
        var key = context.Key(DcsPaths.Failover);
        var snapshot = await context.Store.ReadPrefixAsync(key, ct).ConfigureAwait(false);
        var current = snapshot.Items.FirstOrDefault(i => i.Key == key);
        var request = current is null ? null : GroupKeys.ParseFailover(current.Value, current.ModRevision);
        if (request is not { ScheduledAt: not null })
        {
            return Results.Text("no switchover is scheduled", statusCode: 404);
        }

        var deleted = await context.Store.DeleteIfModRevisionAsync(key, current!.ModRevision, ct).ConfigureAwait(false);
        if (!deleted.Succeeded)
        {
            return Results.Text("Failed to delete scheduled switchover: it changed meanwhile", statusCode: 409);
        }

        wake("scheduled switchover deleted");
        return Results.Text("scheduled switchover deleted", statusCode: 200);
    }

    public async Task<IResult> HandleAsync(HttpContext http, bool failover)
    {
        var ct = http.RequestAborted;
        JsonObject body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<JsonObject>(http.Request.Body, cancellationToken: ct).ConfigureAwait(false) ?? [];
        }
        catch (JsonException e)
        {
            return Results.Text($"Invalid JSON: {e.Message}", statusCode: 400);
        }

        string? Text(string name) => body[name] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;
        var leader = Text("leader");
        var candidate = Text("candidate") ?? Text("member");
        var scheduledText = Text("scheduled_at");
        if (failover && leader is null && candidate is null)
        {
            return Results.Text("Failover could be performed only to a specific candidate", statusCode: 400);
        }

        if (!failover && leader is null)
        {
            return Results.Text("Switchover could be performed only from a specific leader", statusCode: 400);
        }

        if (failover && leader is null && scheduledText is not null)
        {
            return Results.Text("Failover can't be scheduled", statusCode: 400);
        }

        var snapshot = await context.Store.ReadPrefixAsync(Prefix, ct).ConfigureAwait(false);
        var (dcs, _) = GroupKeys.Decode(Prefix, snapshot.Items, context.Settings.Ha);

        DateTimeOffset? scheduledAt = null;
        if (scheduledText is not null)
        {
            if (dcs.Paused)
            {
                return Results.Text("Can't schedule switchover in the paused state", statusCode: 400);
            }

            if (!DateTimeOffset.TryParse(scheduledText, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at))
            {
                return Results.Text("Unable to parse scheduled timestamp. It should be in an unambiguous format, e.g. ISO 8601", statusCode: 422);
            }

            if (!HasZone(scheduledText))
            {
                return Results.Text("Timezone information is mandatory for the scheduled switchover", statusCode: 400);
            }

            if (at < Core.Adapters.Clock.MonotonicTimeProvider.WallOf(time).GetUtcNow())
            {
                return Results.Text("Can't schedule switchover in the past", statusCode: 422);
            }

            scheduledAt = at;
        }

        if (dcs.Paused && candidate is null)
        {
            return Results.Text("Switchover is possible only to a specific candidate in a paused state", statusCode: 400);
        }

        if (leader is not null && leader == candidate)
        {
            return Results.Text("Switchover target and source are the same", statusCode: 400);
        }

        if (scheduledAt is null && (Precheck(dcs, leader, candidate) ?? CandidateCheck(snapshot.Items, leader, candidate)) is { } refused)
        {
            return Results.Text(refused, statusCode: 412);
        }

        var request = new JsonObject();
        if (leader is not null)
        {
            request["leader"] = leader;
        }

        if (candidate is not null)
        {
            request["member"] = candidate;
        }

        if (scheduledAt is { } when)
        {
            request["scheduled_at"] = when.ToString("O", CultureInfo.InvariantCulture);
        }

        try
        {
            await context.Store.PutAsync(context.Key(DcsPaths.Failover), request.ToJsonString(), 0, ct).ConfigureAwait(false);
        }
        catch (Core.Errors.CitusHaException)
        {
            return Results.Text("failed to write failover key into DCS", statusCode: 503);
        }

        wake("switchover requested");
        if (scheduledAt is not null)
        {
            return Results.Text("Switchover scheduled", statusCode: 202);
        }

        return await PollAsync(dcs.Leader?.Name, candidate, failover && leader is null, ct).ConfigureAwait(false);
    }

    private string Prefix => DcsPaths.GroupPrefix(context.Settings.Dcs.Namespace, context.Settings.Dcs.Scope!, context.Settings.DcsGroup);

    /// <summary>
    /// The module's candidate rules (Core's CandidateRules, Patroni's is_failover_possible and
    /// _is_healthiest_node): for a switchover the candidate (or some standby) must be running, not
    /// tagged nofailover, within maximum_lag_on_failover and, with synchronous replication, a
    /// synchronous standby; a failover's candidate must be running and not tagged nofailover.
    /// </summary>
    private string? CandidateCheck(IReadOnlyList<Core.Dcs.DcsKeyValue> items, string? leader, string? candidate)
    {
        var group = Core.Model.TopologyBuilder.Build(context.Settings.Dcs.Namespace, items)
            .FirstOrDefault(c => c.Scope == context.Settings.Dcs.Scope)?.Groups.FirstOrDefault(g => g.Group == context.Settings.DcsGroup);
        if (group is null)
        {
            return null;
        }

        var problem = leader is null && candidate is not null
            ? Core.Operations.CandidateRules.CheckFailover(group, candidate)
            : Core.Operations.CandidateRules.CheckSwitchover(group, candidate);
        return problem is null ? null : $"{(leader is null ? "failover" : "switchover")} is not possible: {problem.Message}";
    }

    private static bool HasZone(string text) =>
        text.EndsWith('Z') || text.EndsWith('z') || System.Text.RegularExpressions.Regex.IsMatch(text, @"[+-]\d{2}:?\d{2}$");

    private static string? Precheck(Core.Ha.DcsView dcs, string? leader, string? candidate)
    {
        if (leader is not null && dcs.Leader?.Name != leader)
        {
            return "leader name does not match";
        }

        var others = dcs.Members.Where(m => m.Name != dcs.Leader?.Name).ToList();
        if (candidate is not null)
        {
            var target = others.FirstOrDefault(m => m.Name == candidate);
            if (target is null)
            {
                return "candidate does not exists";
            }

            return target.NoFailover ? $"{(leader is null ? "failover" : "switchover")} is not possible: no good candidates have been found" : null;
        }

        if (others.Count == 0)
        {
            return "switchover is not possible: cluster does not have members except leader";
        }

        return others.Any(m => !m.NoFailover && m.IsRunning) ? null : "switchover is not possible: no good candidates have been found";
    }

    private async Task<IResult> PollAsync(string? oldLeader, string? candidate, bool isFailover, CancellationToken ct)
    {
        var verb = isFailover ? "failed over" : "switched over";
        var deadline = time.GetUtcNow() + TimeSpan.FromSeconds(30);
        while (time.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), time, ct).ConfigureAwait(false);
            var snapshot = await context.Store.ReadPrefixAsync(Prefix, ct).ConfigureAwait(false);
            var (dcs, _) = GroupKeys.Decode(Prefix, snapshot.Items, context.Settings.Ha);
            if (dcs.Leader is { } now && now.Name != oldLeader)
            {
                return Results.Text(candidate is null || candidate == now.Name
                    ? $"Successfully {verb} to \"{now.Name}\""
                    : $"{char.ToUpperInvariant(verb[0])}{verb[1..]} to \"{now.Name}\" instead of \"{candidate}\"", statusCode: 200);
            }

            if (dcs.Failover is null && dcs.Leader?.Name == oldLeader)
            {
                return Results.Text(isFailover ? "Failover failed" : "Switchover failed", statusCode: 503);
            }
        }

        return Results.Text($"{(isFailover ? "Failover" : "Switchover")} status unknown after 30 seconds; operation may still be in progress", statusCode: 503);
    }
}
