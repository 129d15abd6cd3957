namespace CitusHa.Core.Ha;

/// <summary>
/// My etcd lease. <see cref="ExpiresAt"/> is measured from when the last successful keepalive was
/// *sent*, so it is never later than etcd's own expiry.
/// </summary>
public sealed record LeaseView(long Id, DateTimeOffset ExpiresAt);
