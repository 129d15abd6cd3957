namespace CitusHa.Core.Ha;

/// <summary>The leader's side of a <c>failover</c> request (Patroni's <c>process_manual_failover_from_leader</c>).</summary>
public static class Switchover
{
    /// <summary>The decision a pending request calls for, or null to carry on as leader.</summary>
    public static Decision? FromLeader(GroupView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        if (view.Dcs?.Failover is not { } request || request.IsEmpty)
        {
            return null;
        }

        if (request.ScheduledAt is { } at)
        {
            if (at - view.Now > TimeSpan.Zero)
            {
                return new NoAction($"I am the leader; switchover scheduled at {at:O}");
            }

            if (view.Now - at > 1.5 * view.Settings.LoopWait + view.Settings.RetryTimeout)
            {
                return new ClearFailoverRequest($"the switchover scheduled at {at:O} is stale");
            }
        }

        if (request.Leader is { } leader && leader != view.Me.Name)
        {
            return new ClearFailoverRequest($"the switchover names {leader} as leader, but I am the leader");
        }

        if (request.Candidate == view.Me.Name)
        {
            return new ClearFailoverRequest("the requested candidate is already the leader");
        }

        if (view.Dcs.Paused && request.Candidate is null)
        {
            return new ClearFailoverRequest("a switchover in a paused group needs a candidate");
        }

        return new HandOver(request.Candidate, request.Candidate is null
            ? "switchover requested: handing over to the best standby"
            : $"switchover requested: handing over to {request.Candidate}");
    }
}
