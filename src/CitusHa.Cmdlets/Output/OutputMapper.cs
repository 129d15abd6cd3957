using System.Collections;
using CitusHa.Core.Model;
using System.Text.Json.Nodes;
using CitusHa.Core.Operations;

namespace CitusHa;

/// <summary>Copies Core's records into the module's public output types (Core types never reach PowerShell).</summary>
internal static class OutputMapper
{
    public static CitusMember ToOutput(TopologyMember m)
    {
        var tags = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in m.Tags)
        {
            tags[key] = value;
        }

        return new CitusMember
        {
            Name = m.Scope,
            Group = m.Group,
            Member = m.Name,
            Host = m.Host,
            Port = m.Port,
            Role = m.Role switch
            {
                MemberRole.Leader => CitusMemberRole.Leader,
                MemberRole.StandbyLeader => CitusMemberRole.StandbyLeader,
                MemberRole.SyncStandby => CitusMemberRole.SyncStandby,
                MemberRole.QuorumStandby => CitusMemberRole.QuorumStandby,
                _ => CitusMemberRole.Replica,
            },
            State = m.State,
            Timeline = m.Timeline,
            LagBytes = m.LagBytes,
            ReceiveLsn = m.ReceiveLsn is { } r ? Lsn.Format(r) : null,
            ReplayLsn = m.ReplayLsn is { } p ? Lsn.Format(p) : null,
            PendingRestart = m.PendingRestart,
            Tags = tags,
            ApiUrl = m.ApiUrl,
            ConnectionUrl = m.ConnectionUrl,
            AgentVersion = m.AgentVersion,
        };
    }

    public static CitusGroupStatus ToOutput(GroupSummary g) => new()
    {
        Name = g.Scope,
        Group = g.Group,
        Leader = g.Leader,
        Members = g.Members,
        Streaming = g.StreamingStandbys,
        SynchronousMode = g.SynchronousMode,
        Paused = g.Paused,
        Timeline = g.Timeline,
        MaxLagBytes = g.MaxLagBytes,
        PendingRestart = [.. g.PendingRestart],
        ScheduledSwitchover = g.ScheduledSwitchover,
        ScheduledCandidate = g.ScheduledCandidate,
    };

    public static CitusSwitchoverResult ToOutput(SwitchoverResult r) => new()
    {
        Name = r.Scope,
        Group = r.Group,
        Kind = r.Failover ? "Failover" : "Switchover",
        OldLeader = r.OldLeader,
        NewLeader = r.NewLeader,
        OldTimeline = r.OldTimeline,
        NewTimeline = r.NewTimeline,
        ScheduledAt = r.ScheduledAt,
        Duration = r.Duration,
        Message = r.Message,
    };

    public static CitusMaintenanceResult ToOutput(MaintenanceResult r) => new()
    {
        Name = r.Scope,
        Group = r.Group,
        Paused = r.Paused,
        Changed = r.Changed,
    };

    public static CitusConnection ToOutput(OperatorConnection c, int groups) => new()
    {
        Name = c.Dcs.Scope,
        Endpoint = [.. c.Dcs.Endpoints.Select(e => e.GetLeftPart(UriPartial.Authority))],
        EtcdNamespace = c.Dcs.Namespace,
        EtcdUser = c.Dcs.Credentials?.Username,
        ApiUser = c.Api?.Username,
        ApiCertificateAuthority = c.ApiCaFile,
        TimeoutSec = (int)c.Dcs.Timeout.TotalSeconds,
        Groups = groups,
    };

    public static CitusTimelineSwitch ToOutput(GroupTopology group, TimelineSwitch line) => new()
    {
        Name = group.Scope,
        Group = group.Group,
        Timeline = line.Timeline,
        Lsn = line.Lsn is { } lsn ? Lsn.Format(lsn) : null,
        Reason = line.Reason,
        Timestamp = line.Timestamp,
        NewLeader = line.NewLeader,
    };

    public static CitusConfiguration ToOutput(GroupConfiguration c)
    {
        var parameters = new Hashtable(StringComparer.OrdinalIgnoreCase);
        if (c.Config["postgresql"] is JsonObject postgresql && postgresql["parameters"] is JsonObject values)
        {
            foreach (var (name, value) in values)
            {
                parameters[name] = value is JsonValue v && v.TryGetValue<string>(out var text) ? text : value?.ToJsonString();
            }
        }

        var settings = new Hashtable(StringComparer.Ordinal);
        foreach (var (path, json) in ConfigurationPlan.Flatten(c.Config))
        {
            settings[path] = json;
        }

        double? Number(string name) => c.Config[name] is JsonValue v && v.TryGetValue<double>(out var d) ? d : null;
        return new CitusConfiguration
        {
            Name = c.Scope,
            Group = c.Group,
            Ttl = Number("ttl"),
            LoopWait = Number("loop_wait"),
            RetryTimeout = Number("retry_timeout"),
            MaximumLagOnFailover = Number("maximum_lag_on_failover") is { } lag ? (long)lag : null,
            SynchronousMode = c.Config["synchronous_mode"] switch
            {
                JsonValue v when v.TryGetValue<bool>(out var on) => on ? "on" : "off",
                JsonValue v when v.TryGetValue<string>(out var text) => text,
                _ => null,
            },
            Paused = c.Config["pause"] is JsonValue p && p.TryGetValue<bool>(out var paused) && paused,
            PostgresParameters = parameters,
            Settings = settings,
            Json = c.Config.ToJsonString(),
        };
    }

    public static CitusConfigurationChange ToOutput(string scope, int? group, ConfigurationChange change) => new()
    {
        Name = scope,
        Group = group,
        Path = change.Path,
        OldValue = change.OldValue,
        NewValue = change.NewValue,
    };

    public static CitusMemberActionResult ToOutput(MemberActionResult r) => new()
    {
        Name = r.Scope,
        Group = r.Group,
        Member = r.Member,
        Outcome = r.Outcome,
        Message = r.Message,
        Duration = r.Duration,
    };

    public static CitusHealthCheck ToOutput(HealthCheck c) => new()
    {
        Name = c.Scope,
        Group = c.Group,
        Check = c.Check,
        Status = c.Status.ToString(),
        Detail = c.Detail,
    };

    public static CitusRebalanceJob ToOutput(RebalanceJob j)
    {
        var states = new Hashtable(StringComparer.Ordinal);
        foreach (var (state, count) in j.TaskStates)
        {
            states[state] = count;
        }

        return new CitusRebalanceJob
        {
            Name = j.Scope,
            JobId = j.JobId,
            State = j.State.ToString(),
            IsComplete = j.IsTerminal,
            TasksDone = j.TasksDone,
            TasksTotal = j.TasksTotal,
            PercentComplete = j.PercentComplete,
            TaskStates = states,
            Tasks = [.. j.Tasks.Select(t => t.Source is not null && t.Target is not null
                ? $"{t.TaskId} {t.State} {t.Phase} {t.Source} -> {t.Target}".Replace("  ", " ", StringComparison.Ordinal)
                : $"{t.TaskId} {t.State}{(t.Retried > 0 ? $" (retried {t.Retried})" : string.Empty)}{(t.Message is { Length: > 0 } m ? $": {m.Trim()}" : string.Empty)}")],
            Error = j.FirstError?.Trim(),
            Description = j.Description,
            StartedAt = j.StartedAt,
            FinishedAt = j.FinishedAt,
            Coordinator = j.Coordinator,
        };
    }

    public static CitusManifestChange ToOutput(Core.Kubernetes.Apply.ManifestChange c) => new()
    {
        Kind = c.Kind,
        Namespace = c.Namespace,
        Name = c.Name,
        Action = c.Action.ToString(),
        Fields = c.Fields,
    };

    public static CitusWorkerRemovalResult ToOutput(WorkerRemovalResult r) => new()
    {
        Name = r.Cluster,
        Groups = r.Groups,
        DrainedNodes = r.DrainedNodes,
        Deleted = r.Deleted,
        RemovedNodes = r.RemovedNodes,
        Duration = r.Duration,
    };
}
