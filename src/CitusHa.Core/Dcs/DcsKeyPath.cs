namespace CitusHa.Core.Dcs;

/// <summary>A parsed key: cluster, Citus group (null for a plain Patroni cluster) and the key inside it.</summary>
public readonly record struct DcsKeyPath(string Scope, int? Group, string Key)
{
    /// <summary>The member name when this is a <c>members/&lt;name&gt;</c> key, otherwise null.</summary>
    public string? MemberName =>
        Key.StartsWith(DcsPaths.Members + "/", StringComparison.Ordinal) && Key.Length > DcsPaths.Members.Length + 1
            ? Key[(DcsPaths.Members.Length + 1)..]
            : null;
}
