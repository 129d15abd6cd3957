using System.Globalization;
using System.Text;
using CitusHa.Core.Model;

namespace CitusHa.Agent.Cli;

/// <summary>Renders clusters the way <c>patronictl list</c> does (pretty format), so operators see one shape.</summary>
internal static class TopologyTable
{
    private static readonly string[] Headers = ["Group", "Member", "Host", "Role", "State", "TL", "Lag in MB"];

    public static string Render(IReadOnlyList<ClusterTopology> clusters)
    {
        var text = new StringBuilder();
        foreach (var cluster in clusters)
        {
            var members = cluster.Members.ToList();
            var showPort = members.Any(m => m.Port is not null and not 5432)
                || members.GroupBy(m => m.Host, StringComparer.Ordinal).Any(g => g.Count() > 1);
            var rows = members.Select(m => new[]
            {
                m.Group?.ToString(CultureInfo.InvariantCulture) ?? string.Empty,
                m.Name,
                showPort && m.Host is not null ? $"{m.Host}:{m.Port}" : m.Host ?? string.Empty,
                RoleText(m.Role),
                m.State ?? string.Empty,
                m.Timeline?.ToString(CultureInfo.InvariantCulture) ?? string.Empty,
                m.LagBytes is { } lag ? Math.Round(lag / 1048576.0, MidpointRounding.AwayFromZero).ToString(CultureInfo.InvariantCulture) : string.Empty,
            }).ToList();
            var widths = Headers.Select((h, i) => Math.Max(h.Length, rows.Select(r => r[i].Length).DefaultIfEmpty(0).Max())).ToArray();
            var border = "+" + string.Join("+", widths.Select(w => new string('-', w + 2))) + "+";
            var title = $" Citus cluster: {cluster.Scope} ";
            text.AppendLine("+" + title + border[Math.Min(border.Length - 1, title.Length + 1)..]);
            text.AppendLine(Row(Headers, widths));
            text.AppendLine(border);
            foreach (var row in rows)
            {
                text.AppendLine(Row(row, widths));
            }

            text.AppendLine(border);
            foreach (var group in cluster.Groups.Where(g => g.Paused))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $" Citus group: {group.Group} Maintenance mode: on");
            }
        }

        return text.ToString();
    }

    private static string Row(IReadOnlyList<string> cells, int[] widths) =>
        "| " + string.Join(" | ", cells.Select((c, i) => i is 0 or 5 or 6 ? c.PadLeft(widths[i]) : c.PadRight(widths[i]))) + " |";

    private static string RoleText(MemberRole role) => role switch
    {
        MemberRole.Leader => "Leader",
        MemberRole.StandbyLeader => "Standby Leader",
        MemberRole.SyncStandby => "Sync Standby",
        MemberRole.QuorumStandby => "Quorum Standby",
        _ => "Replica",
    };
}
