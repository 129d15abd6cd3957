namespace CitusHa;

/// <summary>A member's role as patronictl shows it; derived from etcd, not from PostgreSQL.</summary>
public enum CitusMemberRole
{
    Leader,
    StandbyLeader,
    SyncStandby,
    QuorumStandby,
    Replica,
}
