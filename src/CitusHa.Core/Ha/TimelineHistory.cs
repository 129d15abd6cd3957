using System.Globalization;
using CitusHa.Core.Model;

namespace CitusHa.Core.Ha;

/// <summary>
/// A timeline history file (<c>0000000N.history</c>): for each parent timeline, the WAL position at
/// which it was left. Two data directories on the same timeline number with different histories have
/// diverged although pg_rewind sees "the same timeline" and does nothing: that happens when two
/// members each promoted from one timeline (the first killed mid-promotion, before anyone followed).
/// </summary>
public sealed record TimelineHistory(IReadOnlyList<(int Timeline, long SwitchLsn)> Switches)
{
    /// <summary>Parses the file's text; lines that are comments or unreadable are skipped, as PostgreSQL does.</summary>
    public static TimelineHistory Parse(string content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var switches = new List<(int, long)>();
        foreach (var line in content.Split('\n'))
        {
            var fields = line.Split('\t', ' ');
            if (fields.Length >= 2 && int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var timeline) && Lsn.TryParse(fields[1].Trim(), out var lsn))
            {
                switches.Add((timeline, lsn));
            }
        }

        return new TimelineHistory(switches);
    }

    /// <summary>Whether both histories reached the timeline the same way (same parents, same switch points).</summary>
    public bool SameAs(TimelineHistory other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Switches.SequenceEqual(other.Switches);
    }
}
