using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CitusHa.Agent.Loop;
using CitusHa.Core.Dcs;
using CitusHa.Core.Ha;
using CitusHa.Core.Ha.Dcs;
using CitusHa.Core.Model;

namespace CitusHa.Agent.Api;

/// <summary>Patroni's REST API paths and status codes (§6), on Kestrel.</summary>
internal static class RestApi
{
    public static void Map(WebApplication app, AgentContext context, HaLoop loop, TimeProvider time)
    {
        var status = context.Status;
        var switchover = new SwitchoverEndpoint(context, loop.Wake, time);
        IResult Probe(bool ok) => Results.Json(StatusDocument.Build(status), statusCode: ok ? 200 : 503);

        app.MapGet("/patroni", async (CancellationToken ct) => Results.Json(await StatusDocument.BuildWithReplicationAsync(status, context.Postgres, ct).ConfigureAwait(false)));
        foreach (var path in new[] { "/", "/primary", "/master", "/read-write", "/leader" })
        {
            app.MapMethods(path, ["GET", "HEAD", "OPTIONS"], () => Probe(HealthChecks.IsPrimary(status, time.GetUtcNow())));
        }

        app.MapMethods("/replica", ["GET", "HEAD", "OPTIONS"], (HttpRequest r) => Probe(HealthChecks.IsReplica(status, HealthChecks.ParseLag(r.Query["lag"]))));
        app.MapMethods("/read-only", ["GET", "HEAD", "OPTIONS"], (HttpRequest r) =>
            Probe(HealthChecks.IsPrimary(status, time.GetUtcNow()) || HealthChecks.IsReplica(status, HealthChecks.ParseLag(r.Query["lag"]))));
        app.MapMethods("/health", ["GET", "HEAD", "OPTIONS"], () => Probe(HealthChecks.IsRunning(status)));
        app.MapMethods("/liveness", ["GET", "HEAD", "OPTIONS"], () => Results.StatusCode(HealthChecks.IsLive(status, time.GetUtcNow()) ? 200 : 503));
        app.MapMethods("/readiness", ["GET", "HEAD", "OPTIONS"], () => Results.StatusCode(HealthChecks.IsReady(status, time.GetUtcNow()) ? 200 : 503));

        app.MapGet("/cluster", async (CancellationToken ct) => Results.Json(await ClusterAsync(context, ct).ConfigureAwait(false)));
        app.MapGet("/history", async (CancellationToken ct) =>
        {
            var value = await ReadKeyAsync(context, DcsPaths.History, ct).ConfigureAwait(false);
            return Results.Text(value ?? "[]", "application/json");
        });
        app.MapGet("/config", async (CancellationToken ct) =>
        {
            var value = await ReadKeyAsync(context, DcsPaths.Config, ct).ConfigureAwait(false);
            return value is null ? Results.Text("Config is empty", statusCode: 502) : Results.Text(value, "application/json");
        });
        app.MapGet("/failsafe", () => FailsafeTopology(status));
        Func<HttpContext, Task<IResult>> postFailsafe = http => Guarded(http, context, () => AcceptFailsafeAsync(http, status, time));
        app.MapPost("/failsafe", postFailsafe);
        app.MapGet("/metrics", () => Results.Text(Metrics(status, time), "text/plain; version=0.0.4"));

        // Typed as Func so the result is written (a bare HttpContext lambda would bind as a RequestDelegate).
        Func<HttpContext, Task<IResult>> postSwitchover = http => Guarded(http, context, () => switchover.HandleAsync(http, failover: false));
        Func<HttpContext, Task<IResult>> postFailover = http => Guarded(http, context, () => switchover.HandleAsync(http, failover: true));
        Func<HttpContext, Task<IResult>> patchConfig = http => Guarded(http, context, () => PatchConfigAsync(http, context, loop));
        Func<HttpContext, Task<IResult>> postRestart = http => Guarded(http, context, () => RestartAsync(http, context, loop, time));
        Func<HttpContext, Task<IResult>> deleteRestart = http => Guarded(http, context, () => Task.FromResult(loop.CancelScheduledRestart()
            ? Results.Text("scheduled restart deleted", statusCode: 200)
            : Results.Text("no restarts are scheduled", statusCode: 404)));
        Func<HttpContext, Task<IResult>> postReinitialize = http => Guarded(http, context, () => Task.FromResult(Reinitialize(context, loop)));
        Func<HttpContext, Task<IResult>> postReload = http => Guarded(http, context, () => ReloadAsync(http, loop));
        app.MapPost("/reload", postReload);
        app.MapPost("/restart", postRestart);
        app.MapDelete("/restart", deleteRestart);
        app.MapPost("/reinitialize", postReinitialize);
        app.MapPost("/switchover", postSwitchover);
        Func<HttpContext, Task<IResult>> deleteSwitchover = http => Guarded(http, context, () => switchover.CancelScheduledAsync(http.RequestAborted));
        app.MapDelete("/switchover", deleteSwitchover);
        app.MapPost("/failover", postFailover);
        app.MapMethods("/config", ["PATCH"], patchConfig);
        Func<HttpContext, Task<IResult>> postCitus = http => Guarded(http, context, () => CitusEndpoint.HandleAsync(http, loop));
        app.MapPost("/citus", postCitus);
        app.MapPost("/mpp", postCitus);
    }

    /// <summary>GET /failsafe: the failsafe topology as last read (502 when failsafe_mode is off), as Patroni.</summary>
    private static IResult FailsafeTopology(AgentStatus status)
    {
        if (status.Last is not { View.Settings.FailsafeMode: true } last)
        {
            return Results.Text("failsafe_mode is not enabled", statusCode: 502);
        }

        var topology = new System.Text.Json.Nodes.JsonObject();
        foreach (var (name, url) in last.View.Dcs?.Failsafe ?? new Dictionary<string, string>())
        {
            topology[name] = url;
        }

        return Results.Text(topology.ToJsonString(), "application/json");
    }

    /// <summary>
    /// POST /failsafe from a primary cut off from etcd (Patroni's do_POST_failsafe): a member that is
    /// not itself running as a primary accepts (200 "Accepted", with its WAL position in the <c>lsn</c>
    /// header) and leaves the leader key to that primary for ttl; a running primary refuses (500).
    /// </summary>
    private static async Task<IResult> AcceptFailsafeAsync(HttpContext http, AgentStatus status, TimeProvider time)
    {
        if (status.Last is not { View.Settings.FailsafeMode: true } last)
        {
            return Results.Text("failsafe_mode is not enabled", statusCode: 502);
        }

        string? leader;
        try
        {
            using var body = await System.Text.Json.JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted).ConfigureAwait(false);
            leader = body.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && body.RootElement.TryGetProperty("name", out var name) && name.ValueKind == System.Text.Json.JsonValueKind.String
                ? name.GetString()
                : null;
        }
        catch (System.Text.Json.JsonException)
        {
            leader = null;
        }

        if (string.IsNullOrEmpty(leader))
        {
            return Results.Text("the request must be a JSON object with the primary's name", statusCode: 400);
        }

        if (last.Postgres is { AcceptingConnections: true, InRecovery: false })
        {
            return Results.Text("Running as a leader", statusCode: 500);
        }

        status.RecordFailsafeCall(leader, time.GetUtcNow());
        if (last.Postgres.Lsn is { } lsn)
        {
            http.Response.Headers["lsn"] = lsn.ToString(CultureInfo.InvariantCulture);
        }

        return Results.Text("Accepted");
    }

    private static async Task<IResult> Guarded(HttpContext http, AgentContext context, Func<Task<IResult>> handler) =>
        BasicAuthentication.Check(http, context.Settings.RestApiCredentials) ?? await handler().ConfigureAwait(false);

    private static string Prefix(AgentContext context) =>
        DcsPaths.GroupPrefix(context.Settings.Dcs.Namespace, context.Settings.Dcs.Scope!, context.Settings.DcsGroup);

    private static async Task<string?> ReadKeyAsync(AgentContext context, string key, CancellationToken ct)
    {
        var snapshot = await context.Store.ReadPrefixAsync(context.Key(key), ct).ConfigureAwait(false);
        return snapshot.Items.FirstOrDefault(i => i.Key == context.Key(key))?.Value;
    }

    /// <summary>
    /// <c>POST /restart</c>: now (fast stop and start in the same role, waited for: 200 or 503) or at a
    /// scheduled time (202), only when the body's filters hold (Patroni §6.4).
    /// </summary>
    private static async Task<IResult> RestartAsync(HttpContext http, AgentContext context, HaLoop loop, TimeProvider time)
    {
        JsonObject? body = null;
        if (http.Request.ContentLength is null or > 0)
        {
            try
            {
                body = await JsonSerializer.DeserializeAsync<JsonObject>(http.Request.Body, cancellationToken: http.RequestAborted).ConfigureAwait(false);
            }
            catch (JsonException e) when (http.Request.ContentLength > 0)
            {
                return Results.Text($"Invalid JSON: {e.Message}", statusCode: 400);
            }
            catch (JsonException)
            {
                // A chunked empty body: a plain restart.
            }
        }

        if (RestartRequest.Parse(body, Core.Adapters.Clock.MonotonicTimeProvider.WallOf(time).GetUtcNow(), out var error) is not { } request)
        {
            return Results.Text(error!, statusCode: 400);
        }

        if (request.Schedule is not null)
        {
            if (context.Status.Last?.View.Dcs is { Paused: true })
            {
                return Results.Text("Can't schedule restart in the paused state", statusCode: 500);
            }

            return loop.ScheduleRestart(request)
                ? Results.Text("Restart scheduled", statusCode: 202)
                : Results.Text("Cannot schedule restart: another restart is already scheduled", statusCode: 409);
        }

        if (!loop.RestartMatches(request))
        {
            return Results.Text("restart conditions are not satisfied", statusCode: 503);
        }

        if (loop.RequestRestart() is not { } restart)
        {
            return Results.Text("restart conditions are not satisfied: another operation is in progress", statusCode: 503);
        }

        try
        {
            await restart.WaitAsync(request.Timeout ?? TimeSpan.FromMinutes(2), http.RequestAborted).ConfigureAwait(false);
            return Results.Text("restarted successfully", statusCode: 200);
        }
        catch (Exception e) when (e is not OperationCanceledException || !http.RequestAborted.IsCancellationRequested)
        {
            return Results.Text(e is TimeoutException ? "restart failed: PostgreSQL did not start within the timeout" : $"restart failed: {e.Message}", statusCode: 503);
        }
    }

    /// <summary>
    /// <c>POST /reload</c>: re-read the configuration file and environment. 202 when read (Patroni's
    /// code), 400 naming the bad key when the file is broken, in which case nothing changes.
    /// </summary>
    private static async Task<IResult> ReloadAsync(HttpContext http, HaLoop loop)
    {
        ReloadOutcome outcome;
        try
        {
            outcome = await loop.ReloadAsync(http.RequestAborted).ConfigureAwait(false);
        }
        catch (Core.Errors.CitusHaException e)
        {
            return Results.Text($"Reload failed, the running configuration is unchanged: {e.Message}", statusCode: 400);
        }
        catch (TimeoutException)
        {
            return Results.Text("Reload scheduled: it runs once the current operation has finished", statusCode: 202);
        }

        var text = new StringBuilder("Reload scheduled");
        if (outcome.PendingRestart.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"; PostgreSQL restart pending for: {string.Join(", ", outcome.PendingRestart)}");
        }

        if (outcome.NeedAgentRestart.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"; restart the agent to apply: {string.Join(", ", outcome.NeedAgentRestart)}");
        }

        return Results.Text(text.ToString(), statusCode: 202);
    }

    /// <summary><c>POST /reinitialize</c>: replicas only; returns once started.</summary>
    private static IResult Reinitialize(AgentContext context, HaLoop loop)
    {
        var view = context.Status.Last?.View;
        if (view?.Dcs?.Leader is not { } leader)
        {
            return Results.Text("Cluster has no leader, can not reinitialize", statusCode: 503);
        }

        if (leader.Name == context.MyName)
        {
            return Results.Text("I am the leader, can not reinitialize", statusCode: 503);
        }

        return loop.RequestReinitialize(leader.Name) is null
            ? Results.Text("reinitialize already in progress", statusCode: 503)
            : Results.Text("reinitialize started", statusCode: 200);
    }

    /// <summary><c>PATCH /config</c>: merge (null deletes a key) with compare-and-swap; 409 when someone else wrote meanwhile.</summary>
    private static async Task<IResult> PatchConfigAsync(HttpContext http, AgentContext context, HaLoop loop)
    {
        var ct = http.RequestAborted;
        JsonObject patch;
        try
        {
            patch = await JsonSerializer.DeserializeAsync<JsonObject>(http.Request.Body, cancellationToken: ct).ConfigureAwait(false)
                ?? throw new JsonException("the body is empty");
        }
        catch (JsonException e)
        {
            return Results.Text($"Invalid JSON: {e.Message}", statusCode: 400);
        }

        var key = context.Key(DcsPaths.Config);
        var snapshot = await context.Store.ReadPrefixAsync(key, ct).ConfigureAwait(false);
        var current = snapshot.Items.FirstOrDefault(i => i.Key == key);
        if (current is null)
        {
            return Results.Text("Config is empty", statusCode: 503);
        }

        var merged = JsonNode.Parse(current.Value) as JsonObject ?? [];
        Core.Operations.ConfigurationPlan.Merge(merged, patch);
        var written = await context.Store.PutIfModRevisionAsync(key, merged.ToJsonString(), current.ModRevision, 0, ct).ConfigureAwait(false);
        if (!written.Succeeded)
        {
            return Results.Text("Config modification aborted due to concurrent changes", statusCode: 409);
        }

        loop.Wake("config changed");
        return Results.Text(merged.ToJsonString(), "application/json");
    }

    /// <summary><c>GET /cluster</c>: a fresh read of this group, members sorted by name, as Patroni returns it.</summary>
    private static async Task<JsonObject> ClusterAsync(AgentContext context, CancellationToken ct)
    {
        var prefix = Prefix(context);
        var snapshot = await context.Store.ReadPrefixAsync(prefix, ct).ConfigureAwait(false);
        var clusters = TopologyBuilder.Build(context.Settings.Dcs.Namespace, snapshot.Items);
        var (dcs, _) = GroupKeys.Decode(prefix, snapshot.Items, context.Settings.Ha);
        var members = new JsonArray();
        foreach (var m in clusters.SelectMany(c => c.Members).Where(m => m.Group == context.Settings.DcsGroup))
        {
            var entry = new JsonObject
            {
                ["name"] = m.Name,
                ["role"] = m.Role switch
                {
                    MemberRole.Leader => "leader",
                    MemberRole.StandbyLeader => "standby_leader",
                    MemberRole.SyncStandby => "sync_standby",
                    MemberRole.QuorumStandby => "quorum_standby",
                    _ => "replica",
                },
                ["state"] = m.State,
                ["api_url"] = m.ApiUrl,
                ["host"] = m.Host,
                ["port"] = m.Port,
                ["timeline"] = m.Timeline,
            };
            if (m.Role is not (MemberRole.Leader or MemberRole.StandbyLeader))
            {
                entry["lag"] = m.LagBytes is { } lag ? JsonValue.Create(lag) : JsonValue.Create("unknown");
            }

            members.Add(entry);
        }

        var result = new JsonObject { ["members"] = members, ["scope"] = context.Settings.Dcs.Scope };
        if (dcs.Paused)
        {
            result["pause"] = true;
        }

        if (dcs.Failover is { ScheduledAt: { } at } f)
        {
            result["scheduled_switchover"] = new JsonObject { ["at"] = at.ToString("O", CultureInfo.InvariantCulture), ["from"] = f.Leader, ["to"] = f.Candidate };
        }

        return result;
    }

    private static string Metrics(AgentStatus status, TimeProvider time)
    {
        var s = status.Last;
        var scope = status.Settings.Dcs.Scope;
        var name = status.Settings.Name;
        var labels = $"scope=\"{scope}\",name=\"{name}\",group=\"{status.Settings.Group.ToString(CultureInfo.InvariantCulture)}\"";
        var text = new StringBuilder();
        void Metric(string metric, string help, double value)
        {
            text.Append(CultureInfo.InvariantCulture, $"# HELP {metric} {help}\n# TYPE {metric} gauge\n{metric}{{{labels}}} {value.ToString(CultureInfo.InvariantCulture)}\n");
        }

        var now = time.GetUtcNow();
        Metric("patroni_primary", "Value is 1 if this node is the leader, 0 otherwise.", HealthChecks.IsPrimary(status, now) ? 1 : 0);
        Metric("patroni_replica", "Value is 1 if this node is a replica, 0 otherwise.", s?.Postgres.InRecovery == true ? 1 : 0);
        Metric("patroni_postgres_running", "Value is 1 if PostgreSQL is running, 0 otherwise.", s?.Postgres.AcceptingConnections == true ? 1 : 0);
        Metric("patroni_xlog_location", "Current WAL position (primary) or received/replayed maximum (replica).", s?.Postgres.Lsn ?? 0);
        Metric("patroni_postgres_timeline", "PostgreSQL timeline of this node.", s?.Postgres.Timeline ?? 0);
        Metric("patroni_failsafe_mode_is_active", "Value is 1 if failsafe mode is active, 0 if inactive.", s?.View.FailsafeReported == true ? 1 : 0);
        Metric("patroni_cluster_unlocked", "Value is 1 if the group has no leader.", s?.View.Dcs is { Leader: null } ? 1 : 0);
        Metric("patroni_is_paused", "Value is 1 if the group is in maintenance mode.", s?.View.Dcs is { Paused: true } ? 1 : 0);
        Metric("citusha_lease_remaining_seconds", "Seconds until this agent's etcd lease would expire without renewal.", s?.View.LeaseRemaining?.TotalSeconds ?? 0);
        Metric("citusha_last_cycle_age_seconds", "Seconds since the HA loop last completed a cycle.", s is null ? -1 : (now - s.At).TotalSeconds);
        return text.ToString();
    }
}
