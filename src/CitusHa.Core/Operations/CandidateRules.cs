using System.Globalization;
using CitusHa.Core.Errors;
using CitusHa.Core.Model;

namespace CitusHa.Core.Operations;

/// <summary>
/// Who may take over a group, checked before anything is asked of a member, with the same rules the
/// agent applies (Patroni's <c>is_failover_possible</c> and <c>_is_healthiest_node</c>): the candidate
/// exists, is not the leader, is not tagged nofailover, is running and replicating, is within
/// <c>maximum_lag_on_failover</c>, and in synchronous modes is one of the synchronous standbys. Pure.
/// </summary>
public static class CandidateRules
{
    /// <summary>
    /// Why <paramref name="candidate"/> cannot take over a planned switchover (null: it can). For a
    /// <paramref name="scheduled"/> one, only what cannot change by then is checked (the leader, the
    /// candidate's membership and tags); its state and lag are the agents' to check when the time comes.
    /// </summary>
    public static CitusHaException? CheckSwitchover(GroupTopology group, string? candidate, bool scheduled = false)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (group.LeaderMember is null)
        {
            return new CitusHaException(CitusErrorKind.Conflict, ErrorIds.NoLeader,
                $"{Describe(group)} has no leader to switch over from. Use Invoke-CitusFailover -Candidate <member> to promote a member anyway.", group.Group);
        }

        if (candidate is null && scheduled)
        {
            return null;
        }

        if (candidate is null)
        {
            var eligible = Eligible(group);
            return eligible.Count > 0 ? null : new CitusHaException(CitusErrorKind.Conflict, ErrorIds.NoEligibleCandidate,
                $"No member of {Describe(group)} can take over: {WhyNone(group)}.", group.Group);
        }

        return CheckCandidate(group, candidate, scheduled ? Check.TagsOnly : Check.Everything);
    }

    /// <summary>Why <paramref name="candidate"/> cannot be promoted by a failover (null: it can). Lag and sync state are not held against it: a failover is the operator overriding them.</summary>
    public static CitusHaException? CheckFailover(GroupTopology group, string candidate)
    {
        ArgumentNullException.ThrowIfNull(group);
        return CheckCandidate(group, candidate, Check.TagsAndState);
    }

    /// <summary>The members that could take over a planned switchover, least lag first.</summary>
    public static IReadOnlyList<TopologyMember> Eligible(GroupTopology group)
    {
        ArgumentNullException.ThrowIfNull(group);
        return group.Members
            .Where(m => m.Name != group.Leader && Problem(group, m, Check.Everything) is null)
            .OrderBy(m => m.LagBytes ?? long.MaxValue)
            .ThenBy(m => m.Name, StringComparer.Ordinal)
            .ToList();
    }

    private static CitusHaException? CheckCandidate(GroupTopology group, string candidate, Check check)
    {
        var member = group.Members.FirstOrDefault(m => m.Name == candidate);
        if (member is null)
        {
            return new CitusHaException(CitusErrorKind.NotFound, ErrorIds.MemberNotFound,
                $"'{candidate}' is not a member of {Describe(group)}; its members are {string.Join(", ", group.Members.Select(m => m.Name))}.", candidate);
        }

        if (member.Name == group.Leader)
        {
            return new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.CandidateIsLeader,
                $"'{candidate}' already leads {Describe(group)}: name another member, or leave -Candidate out to let the healthiest standby take over.", candidate);
        }

        return Problem(group, member, check) is { } problem
            ? new CitusHaException(CitusErrorKind.Conflict, ErrorIds.CandidateNotEligible, $"'{candidate}' cannot take over {Describe(group)}: {problem}.", candidate)
            : null;
    }

    /// <summary>The one reason a standby cannot take over, or null.</summary>
    private static string? Problem(GroupTopology group, TopologyMember member, Check check)
    {
        if (member.Tags.TryGetValue("nofailover", out var noFailover) && IsTrue(noFailover))
        {
            return "it is tagged nofailover";
        }

        if (check == Check.TagsOnly)
        {
            return null;
        }

        if (member.State is not ("streaming" or "running" or "in archive recovery"))
        {
            return $"its PostgreSQL is {member.State ?? "in an unknown state"}, not running";
        }

        if (check == Check.TagsAndState)
        {
            return null;
        }

        if (member.LagBytes is { } lag && lag > group.MaximumLagOnFailover)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"it is {lag} bytes behind the leader, more than maximum_lag_on_failover ({group.MaximumLagOnFailover})");
        }

        if (group.SynchronousMode is "on" or "quorum" && member.Role is not (MemberRole.SyncStandby or MemberRole.QuorumStandby))
        {
            return $"synchronous_mode is {group.SynchronousMode} and it is not a synchronous standby, so it may lack acknowledged commits";
        }

        return null;
    }

    private static string WhyNone(GroupTopology group)
    {
        var standbys = group.Members.Where(m => m.Name != group.Leader).ToList();
        return standbys.Count == 0
            ? "the leader is its only member"
            : string.Join("; ", standbys.Select(m => $"{m.Name}: {Problem(group, m, Check.Everything)}"));
    }

    private static bool IsTrue(string value) =>
        value.Equals("true", StringComparison.OrdinalIgnoreCase) || value is "1" || value.Equals("on", StringComparison.OrdinalIgnoreCase) || value.Equals("yes", StringComparison.OrdinalIgnoreCase);

    internal static string Describe(GroupTopology group) =>
        group.Group is { } g ? $"group {g} of '{group.Scope}'" : $"'{group.Scope}'";

    /// <summary>How much of the rule table applies: a scheduled switchover, a failover, a switchover now.</summary>
    private enum Check
    {
        TagsOnly,
        TagsAndState,
        Everything,
    }
}
