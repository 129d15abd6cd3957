namespace CitusHa.Core.Model;

/// <summary>A member's role as an operator sees it (patronictl's Role column), derived from etcd.</summary>
public enum MemberRole
{
    /// <summary>Holds the group's leader key: the writable primary.</summary>
    Leader,

    /// <summary>Leader of a standby cluster (replicates from elsewhere).</summary>
    StandbyLeader,

    /// <summary>Named in the group's <c>sync</c> key while synchronous_mode is on.</summary>
    SyncStandby,

    /// <summary>Named in the group's <c>sync</c> key while synchronous_mode is quorum.</summary>
    QuorumStandby,

    /// <summary>Any other member.</summary>
    Replica,
}
