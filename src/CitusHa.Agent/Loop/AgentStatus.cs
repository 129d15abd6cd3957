using CitusHa.Core.Configuration;

namespace CitusHa.Agent.Loop;

/// <summary>The agent's shared state between the HA loop (single writer) and the REST API (readers).</summary>
internal sealed class AgentStatus(AgentSettings settings, TimeProvider time)
{
    private CycleSnapshot? last;

    public AgentSettings Settings { get; } = settings;

    public DateTimeOffset StartedAt { get; } = time.GetUtcNow();

    public CycleSnapshot? Last => Volatile.Read(ref last);

    /// <summary>When the loop last finished a cycle (liveness).</summary>
    public DateTimeOffset? LastCycleAt => Last?.At;

    /// <summary>The state a long operation put us in ("creating replica", "initializing new cluster"), if any.</summary>
    public string? OperationState { get; set; }

    /// <summary>How this member takes part in Citus, for /patroni.</summary>
    public Citus.CitusMode? Citus { get; init; }

    /// <summary>On the coordinator: whether the Citus database has pg_dist_node (null: not looked yet, or not the coordinator's leader).</summary>
    public Func<bool?> CitusCatalogPresent { get; set; } = () => null;

    private FailsafeCall? failsafeCall;

    /// <summary>The last <c>POST /failsafe</c> a primary made to us (failsafe_mode), and when.</summary>
    public FailsafeCall? LastFailsafeCall => Volatile.Read(ref failsafeCall);

    public void RecordFailsafeCall(string leader, DateTimeOffset at) => Volatile.Write(ref failsafeCall, new FailsafeCall(leader, at));

    public void Publish(CycleSnapshot snapshot) => Volatile.Write(ref last, snapshot);
}

/// <summary>A primary that kept running through an etcd outage called us at <paramref name="At"/>.</summary>
internal sealed record FailsafeCall(string Leader, DateTimeOffset At);
