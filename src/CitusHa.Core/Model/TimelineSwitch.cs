using System.Globalization;
using System.Text.Json;

namespace CitusHa.Core.Model;

/// <summary>
/// One line of a group's timeline history (the <c>history</c> key, Patroni's format:
/// <c>[[timeline, lsn, reason, timestamp, new_leader], ...]</c>): the timeline that ended, where, why,
/// when, and who led the next one.
/// </summary>
public sealed record TimelineSwitch(int Timeline, long? Lsn, string? Reason, DateTimeOffset? Timestamp, string? NewLeader)
{
    /// <summary>Lenient: lines or fields of the wrong shape are skipped or left empty, never an error.</summary>
    public static IReadOnlyList<TimelineSwitch> ParseHistory(string? json)
    {
        if (JsonObjects.ParseAny(json) is not { ValueKind: JsonValueKind.Array } lines)
        {
            return [];
        }

        var result = new List<TimelineSwitch>();
        foreach (var line in lines.EnumerateArray())
        {
            if (line.ValueKind != JsonValueKind.Array || line.GetArrayLength() < 2 || line[0].ValueKind != JsonValueKind.Number || !line[0].TryGetInt32(out var timeline))
            {
                continue;
            }

            string? Text(int i) => line.GetArrayLength() > i && line[i].ValueKind == JsonValueKind.String ? line[i].GetString() : null;
            long? lsn = line[1].ValueKind == JsonValueKind.Number && line[1].TryGetInt64(out var l) ? l : null;
            DateTimeOffset? at = Text(3) is { } when && DateTimeOffset.TryParse(when, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
            result.Add(new TimelineSwitch(timeline, lsn, Text(2), at, Text(4)));
        }

        return result;
    }
}
