namespace CitusHa.Core.Ha;

/// <summary>The <c>sync</c> key: the primary it was written for, the synchronous voters and the quorum.</summary>
public sealed record SyncState(string? Leader, IReadOnlyList<string> Standbys, int Quorum, long ModRevision)
{
    public bool IsActive => Leader is not null;

    public bool Contains(string name) =>
        string.Equals(Leader, name, StringComparison.OrdinalIgnoreCase) || Standbys.Contains(name, StringComparer.OrdinalIgnoreCase);
}
