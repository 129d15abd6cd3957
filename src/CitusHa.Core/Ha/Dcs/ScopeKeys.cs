using System.Globalization;
using CitusHa.Core.Dcs;

namespace CitusHa.Core.Ha.Dcs;

/// <summary>Every group of a Citus formation from one read of the scope (<c>/namespace/scope/</c>).</summary>
public static class ScopeKeys
{
    public static IReadOnlyDictionary<int, DcsView> Decode(string clusterPrefix, IReadOnlyCollection<DcsKeyValue> items, HaSettings bootstrap)
    {
        ArgumentNullException.ThrowIfNull(items);
        var groups = new SortedDictionary<int, DcsView>();
        var ids = items
            .Select(i => i.Key.StartsWith(clusterPrefix, StringComparison.Ordinal) ? i.Key[clusterPrefix.Length..] : string.Empty)
            .Select(rest => rest.Split('/')[0])
            .Where(g => g.Length > 0 && (g == "0" || g[0] != '0') && g.All(char.IsAsciiDigit))
            .Select(g => int.Parse(g, CultureInfo.InvariantCulture))
            .Distinct();
        foreach (var id in ids)
        {
            groups[id] = GroupKeys.Decode($"{clusterPrefix}{id.ToString(CultureInfo.InvariantCulture)}/", items, bootstrap).View;
        }

        return groups;
    }
}
