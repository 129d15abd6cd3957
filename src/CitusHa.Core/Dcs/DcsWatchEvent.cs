namespace CitusHa.Core.Dcs;

public enum DcsWatchEventKind
{
    Put,
    Delete,
}

/// <summary>One change seen by a watch. For a deletion <see cref="Value"/> is empty.</summary>
public sealed record DcsWatchEvent(DcsWatchEventKind Kind, string Key, string Value, long ModRevision, long Lease);
