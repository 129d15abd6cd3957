namespace CitusHa.Core.Dcs;

/// <summary>The result of one range read: the keys and the store revision they were read at.</summary>
public sealed record DcsSnapshot(long Revision, IReadOnlyList<DcsKeyValue> Items);
