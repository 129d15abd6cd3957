namespace CitusHa.Core.Ha;

/// <summary>Who I am: my member name and the tags that limit what I may become.</summary>
public sealed record MemberIdentity(string Name, bool NoFailover = false, int FailoverPriority = 1, bool NoSync = false)
{
    /// <summary>Patroni: <c>nofailover</c>, or a <c>failover_priority</c> of 0 or less, keeps a member out of every race.</summary>
    public bool MayBecomeLeader => !NoFailover && FailoverPriority > 0;
}
