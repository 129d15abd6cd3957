namespace CitusHa.Core.Ha;

/// <summary>A peer's answer to <c>GET /patroni</c> during a leader race.</summary>
public sealed record PeerStatus(bool InRecovery, long Lsn, int? Timeline, bool NoFailover = false, int FailoverPriority = 1);
