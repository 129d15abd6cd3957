namespace CitusHa.Core.Postgres;

/// <summary>
/// One row of the primary's pg_stat_replication, with the columns Patroni's <c>GET /patroni</c> shows
/// in its <c>replication</c> list (monitoring built for Patroni reads them).
/// </summary>
public sealed record ReplicationConnection(string? UserName, string? ApplicationName, string? ClientAddress, string? State, string? SyncState, int? SyncPriority);
