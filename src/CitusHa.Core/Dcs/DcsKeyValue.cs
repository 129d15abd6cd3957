namespace CitusHa.Core.Dcs;

/// <summary>One etcd key as Core sees it: no SDK types. <see cref="Lease"/> is 0 for keys without one.</summary>
public sealed record DcsKeyValue(string Key, string Value, long CreateRevision, long ModRevision, long Lease);
