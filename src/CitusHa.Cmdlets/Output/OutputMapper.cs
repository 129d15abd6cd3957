using System.Collections;
using CitusHa.Core.Model;

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
}
