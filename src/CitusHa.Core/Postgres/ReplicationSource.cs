namespace CitusHa.Core.Postgres;

/// <summary>Where a replica streams from: the upstream's host and port and this member's slot on it.</summary>
public sealed record ReplicationSource(string Host, int Port, string SlotName);
