using CitusHa.Agent.Loop;

namespace CitusHa.Agent.Api;

/// <summary>The probe rules of Patroni's REST API (§6.1): which role answers 200 on which path.</summary>
internal static class HealthChecks
{
    /// <summary>Holds the leader key on a live lease and runs as a writable primary.</summary>
    public static bool IsPrimary(AgentStatus status, DateTimeOffset now) =>
        status.Last is { } s && s.View.HoldsLeaderKey && s.View.Lease is { } lease && lease.ExpiresAt > now
        && s.Postgres.AcceptingConnections && s.Postgres.InRecovery == false;

    public static bool IsReplica(AgentStatus status, long? maximumLag)
    {
        if (status.Last is not { } s || !s.Postgres.AcceptingConnections || s.Postgres.InRecovery != true || status.Settings.NoLoadBalance)
        {
            return false;
        }

        return maximumLag is not { } max || (s.View.Dcs?.ClusterLsn is { } cluster && s.Postgres.ReplayLsn is { } replay && cluster - replay <= max);
    }

    public static bool IsRunning(AgentStatus status) => status.Last is { Postgres.AcceptingConnections: true };

    /// <summary>The loop is alive: its last cycle is recent (ttl on a primary, 2 × ttl otherwise), or the group is paused.</summary>
    public static bool IsLive(AgentStatus status, DateTimeOffset now)
    {
        if (status.Last is not { } s)
        {
            return now - status.StartedAt < TimeSpan.FromMinutes(5);
        }

        if (s.View.Dcs is { Paused: true })
        {
            return true;
        }

        var threshold = s.View.HoldsLeaderKey ? s.View.Settings.Ttl : 2 * s.View.Settings.Ttl;
        return now - s.At < threshold;
    }

    /// <summary>Ready for traffic: the primary, or a streaming replica within maximum_lag_on_failover.</summary>
    public static bool IsReady(AgentStatus status, DateTimeOffset now) =>
        IsPrimary(status, now)
        || (status.Last is { } s && s.Postgres.InRecovery == true && s.Postgres.UpstreamHost is not null && IsReplica(status, s.View.Settings.MaximumLagOnFailover));

    /// <summary>Patroni's lag argument: bytes, or with a unit (16kB, 64MB, 1GB).</summary>
    public static long? ParseLag(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var units = new (string Suffix, long Factor)[] { ("TB", 1L << 40), ("GB", 1L << 30), ("MB", 1L << 20), ("kB", 1L << 10), ("KB", 1L << 10), ("B", 1) };
        foreach (var (suffix, factor) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal) && long.TryParse(text[..^suffix.Length], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value))
            {
                return value * factor;
            }
        }

        return long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var bytes) ? bytes : null;
    }
}
