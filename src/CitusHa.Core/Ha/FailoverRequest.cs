namespace CitusHa.Core.Ha;

/// <summary>
/// The <c>failover</c> key. With <see cref="Leader"/>: a switchover away from that member; with only
/// <see cref="Candidate"/>: a manual failover to it. <see cref="ScheduledAt"/>: not before then.
/// </summary>
public sealed record FailoverRequest(string? Leader, string? Candidate, DateTimeOffset? ScheduledAt, long ModRevision)
{
    public bool IsEmpty => Leader is null && Candidate is null;
}
