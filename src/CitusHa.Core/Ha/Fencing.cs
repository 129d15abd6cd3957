namespace CitusHa.Core.Ha;

/// <summary>
/// The safety rules that come before everything else: a writable PostgreSQL must stop taking writes
/// before another member can be promoted.
/// </summary>
public static class Fencing
{
    /// <summary>A fencing decision when one is needed, otherwise null.</summary>
    public static Decision? Check(GroupView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        // A primary that does not answer (hung, out of connections, its postmaster frozen while its
        // backends still serve) is fenced like one that does: not being able to look is no reason to
        // let it take writes past the lease.
        if (!view.Postgres.MayBePrimary || view.Dcs is { Paused: true })
        {
            return null;
        }

        // Cut off from etcd, or the keepalive failing: my lease is the only thing keeping others
        // from promoting, and it runs out at a time we know. Become read-only while there is margin.
        var remaining = view.LeaseRemaining;
        if (view.FailsafeActive)
        {
            // failsafe_mode: every member still answers us, so none of them can be promoted (each
            // refuses the race while our calls keep coming); run on for as long as that confirmation lasts.
            remaining = view.FailsafeUntil - view.Now;
        }

        if (remaining is null || remaining <= view.Settings.FencingMargin)
        {
            var left = remaining is null ? "no lease" : remaining <= TimeSpan.Zero ? "my lease has run out" : $"my lease ends in {remaining.Value.TotalSeconds:0.0} s";
            if (view.Dcs is null)
            {
                return new DemoteFenced($"demoting: etcd is not reachable and {left}");
            }

            if (view.HoldsLeaderKey || view.Dcs.Leader is null)
            {
                return new DemoteFenced($"demoting: I cannot renew my lease and {left}");
            }
        }

        if (view.Dcs?.Leader is { } leader && leader.Name != view.Me.Name)
        {
            return new DemoteFenced(view.Postgres.IsRunningPrimary
                ? $"demoting: {leader.Name} holds the leader key and I am running as a primary"
                : $"demoting: {leader.Name} holds the leader key and my PostgreSQL, which does not answer, may be running as a primary");
        }

        return null;
    }
}
