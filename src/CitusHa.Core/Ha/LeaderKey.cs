namespace CitusHa.Core.Ha;

/// <summary>The <c>leader</c> key: whose it is, on which lease, at which revision.</summary>
public sealed record LeaderKey(string Name, long Lease, long ModRevision);
