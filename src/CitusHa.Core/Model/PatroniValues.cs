using System.Globalization;
using System.Text.Json;

namespace CitusHa.Core.Model;

/// <summary>
/// Patroni's encodings of single values in a group's keys, read one way by both the operator's view
/// (<see cref="TopologyBuilder"/>) and the agent's (<c>GroupKeys</c>). Lenient: a malformed value reads as absent.
/// </summary>
internal static class PatroniValues
{
    /// <summary>The leader's last published position: <c>status.optime</c>, a bare number, or legacy <c>optime/leader</c>.</summary>
    public static long? ClusterLsn(string? status, string? legacyOptime)
    {
        if (status is not null)
        {
            if (long.TryParse(status, NumberStyles.Integer, CultureInfo.InvariantCulture, out var bare))
            {
                return bare;
            }

            if (JsonObjects.Parse(status) is { } s && s.TryGetProperty("optime", out var optime) && optime.ValueKind == JsonValueKind.Number && optime.TryGetInt64(out var lsn))
            {
                return lsn;
            }
        }

        return long.TryParse(legacyOptime, NumberStyles.Integer, CultureInfo.InvariantCulture, out var old) ? old : null;
    }

    /// <summary>The <c>sync_standby</c> names of a sync key (comma-separated in Patroni's JSON).</summary>
    public static string[] SyncStandbyNames(JsonElement sync) =>
        sync.TryGetProperty("sync_standby", out var standbys) && standbys.ValueKind == JsonValueKind.String
            ? (standbys.GetString() ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : [];

    /// <summary><c>synchronous_mode</c> as "off", "on" or "quorum" (true/false as Patroni accepts them); null when unrecognised.</summary>
    public static string? SynchronousMode(JsonElement mode) => mode.ValueKind switch
    {
        JsonValueKind.True => "on",
        JsonValueKind.False => "off",
        JsonValueKind.String => mode.GetString() switch { "on" or "true" => "on", "quorum" => "quorum", "off" or "false" => "off", _ => null },
        _ => null,
    };
}
