using System.Globalization;

namespace CitusHa.Core.Citus;

/// <summary>
/// The PostgreSQL settings Citus needs on every member (Patroni's adjust_postgres_gucs): citus first
/// in shared_preload_libraries, max_prepared_transactions = 2 × max_connections unless set (Citus
/// commits through 2PC), wal_level logical (shard moves and splits replicate logically), and
/// citus.local_hostname = the host the agent itself connects to.
/// </summary>
public static class CitusParameters
{
    public static IReadOnlyDictionary<string, string> Apply(IReadOnlyDictionary<string, string> parameters, string localHostName)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var result = new Dictionary<string, string>(parameters, StringComparer.Ordinal);
        var others = (result.GetValueOrDefault("shared_preload_libraries") ?? string.Empty)
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l != "citus" && l != "\"citus\"");
        result["shared_preload_libraries"] = string.Join(",", others.Prepend("citus"));

        var configured = result.TryGetValue("max_prepared_transactions", out var mpt) && int.TryParse(mpt, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0;
        if (!configured)
        {
            var connections = result.TryGetValue("max_connections", out var mc) && int.TryParse(mc, NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) ? c : 100;
            result["max_prepared_transactions"] = (2 * connections).ToString(CultureInfo.InvariantCulture);
        }

        result["wal_level"] = "logical";
        result["citus.local_hostname"] = localHostName;
        return result;
    }

    /// <summary>
    /// The group's dynamic parameters (<c>config.postgresql.parameters</c>, applied with ALTER SYSTEM,
    /// which wins over the local file) with Citus' requirements kept: wherever they name one of the
    /// settings Citus needs, or max_connections (which sizes max_prepared_transactions), the value
    /// becomes what <see cref="Apply"/> gives for the local and dynamic settings together. Without
    /// this, a dynamic shared_preload_libraries would drop citus at the next restart.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ApplyToDynamic(IReadOnlyDictionary<string, string> dynamic, IReadOnlyDictionary<string, string> local, string localHostName)
    {
        ArgumentNullException.ThrowIfNull(dynamic);
        ArgumentNullException.ThrowIfNull(local);
        var merged = new Dictionary<string, string>(local, StringComparer.Ordinal);
        foreach (var (key, value) in dynamic)
        {
            merged[key] = value;
        }

        var required = Apply(merged, localHostName);
        var result = new Dictionary<string, string>(dynamic, StringComparer.Ordinal);
        foreach (var key in Required)
        {
            if (dynamic.ContainsKey(key) || (key == "max_prepared_transactions" && dynamic.ContainsKey("max_connections")))
            {
                result[key] = required[key];
            }
        }

        return result;
    }

    /// <summary>The settings <see cref="Apply"/> decides.</summary>
    public static IReadOnlyList<string> Required { get; } = ["shared_preload_libraries", "max_prepared_transactions", "wal_level", "citus.local_hostname"];

    /// <summary>
    /// The host for citus.local_hostname: the first listen address, or localhost when PostgreSQL listens
    /// on every address. (Patroni also maps 127.0.0.1 to localhost; we keep the address, since
    /// localhost may resolve to ::1 first where PostgreSQL does not listen.)
    /// </summary>
    public static string LocalHostName(string listenAddress)
    {
        var first = (listenAddress ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return first is null or "*" or "0.0.0.0" or "::" ? "localhost" : first;
    }

    /// <summary>Logical slots of Citus' shard moves and splits: the agent never drops them.</summary>
    public static bool IsShardTransferSlot(string slotName, string? plugin) =>
        System.Text.RegularExpressions.Regex.Match(slotName ?? string.Empty, "^citus_shard_(move|split)_slot(_[1-9][0-9]*){2,3}$") is { Success: true } m
        && plugin == (m.Groups[1].Value == "move" ? "pgoutput" : "citus");
}
