namespace CitusHa.Core.Dcs;

/// <summary>
/// Patroni's etcd v3 key layout: <c>&lt;namespace&gt;/&lt;scope&gt;/&lt;group&gt;/&lt;key&gt;</c> for Citus
/// formations, <c>&lt;namespace&gt;/&lt;scope&gt;/&lt;key&gt;</c> for plain Patroni clusters.
/// </summary>
public static class DcsPaths
{
    public const string Members = "members";
    public const string Leader = "leader";
    public const string Initialize = "initialize";
    public const string Config = "config";
    public const string Sync = "sync";
    public const string Status = "status";
    public const string LegacyOptime = "optime/leader";
    public const string Failover = "failover";
    public const string History = "history";
    public const string Failsafe = "failsafe";

    /// <summary>The prefix of every key in the namespace, with a trailing slash.</summary>
    public static string NamespacePrefix(string @namespace) => @namespace.TrimEnd('/') + "/";

    /// <summary>The prefix of every key of one cluster (all its groups), with a trailing slash.</summary>
    public static string ClusterPrefix(string @namespace, string scope) => $"{NamespacePrefix(@namespace)}{scope}/";

    /// <summary>
    /// The prefix of one group's keys, with a trailing slash: <c>&lt;scope&gt;/&lt;group&gt;/</c> for a
    /// Citus group, the cluster's own prefix for a plain cluster (<paramref name="group"/> null), as
    /// Patroni lays them out.
    /// </summary>
    public static string GroupPrefix(string @namespace, string scope, int? group) =>
        group is { } g ? $"{ClusterPrefix(@namespace, scope)}{g.ToString(System.Globalization.CultureInfo.InvariantCulture)}/" : ClusterPrefix(@namespace, scope);

    public static string MemberKey(string @namespace, string scope, int? group, string member) =>
        $"{GroupPrefix(@namespace, scope, group)}{Members}/{member}";

    public static string GroupKey(string @namespace, string scope, int? group, string key) =>
        $"{GroupPrefix(@namespace, scope, group)}{key}";

    /// <summary>
    /// Splits a full key into scope, group (null for a plain Patroni cluster) and the key within the
    /// group. Group directories are decimal numbers without leading zeros, as Patroni requires.
    /// </summary>
    public static bool TryParse(string @namespace, string fullKey, out DcsKeyPath path)
    {
        path = default;
        var prefix = NamespacePrefix(@namespace);
        if (!fullKey.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = fullKey[prefix.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == rest.Length - 1)
        {
            return false;
        }

        var scope = rest[..slash];
        var inCluster = rest[(slash + 1)..];
        var next = inCluster.IndexOf('/', StringComparison.Ordinal);
        if (next > 0 && TryParseGroup(inCluster[..next], out var group))
        {
            path = new DcsKeyPath(scope, group, inCluster[(next + 1)..]);
            return path.Key.Length > 0;
        }

        path = new DcsKeyPath(scope, null, inCluster);
        return true;
    }

    private static bool TryParseGroup(string text, out int group)
    {
        group = 0;
        var canonical = text == "0" || (text.Length > 0 && text[0] is >= '1' and <= '9' && text.All(char.IsAsciiDigit));
        return canonical && int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out group);
    }
}
