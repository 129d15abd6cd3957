using System.Globalization;

namespace CitusHa.Core.Adapters.Processes;

/// <summary>
/// Linux's process table as /proc shows it: parents, descendants and command lines, by PID (never by
/// name). A process that ends while it is read is simply not there.
/// </summary>
public static class ProcessTable
{
    /// <summary>The parent PID of <paramref name="pid"/>; null when it is gone.</summary>
    public static int? ParentOf(int pid)
    {
        try
        {
            return ParentIn(File.ReadAllText($"/proc/{pid}/stat"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>Every process below <paramref name="pid"/>: its children, theirs, and so on.</summary>
    public static List<int> Descendants(int pid)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.Integer, CultureInfo.InvariantCulture, out var child))
            {
                continue;
            }

            try
            {
                var parent = ParentIn(File.ReadAllText(Path.Combine(directory, "stat")));
                if (!children.TryGetValue(parent, out var list))
                {
                    children[parent] = list = [];
                }

                list.Add(child);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                // The process ended while we looked.
            }
        }

        var result = new List<int>();
        var queue = new Queue<int>([pid]);
        while (queue.Count > 0)
        {
            foreach (var child in children.GetValueOrDefault(queue.Dequeue()) ?? [])
            {
                result.Add(child);
                queue.Enqueue(child);
            }
        }

        return result;
    }

    /// <summary>The arguments <paramref name="pid"/> was started with (the program first); null when it is gone or unreadable.</summary>
    public static string[]? CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether <paramref name="pid"/> runs: not gone, and not a zombie (killed, waiting for its parent
    /// to reap it: a killed postmaster whose agent is frozen stays one, and serves nothing).
    /// </summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat.LastIndexOf(')') is var end and >= 0 && end + 2 < stat.Length ? stat[end + 2] : '?';
            return state is not ('Z' or 'X' or 'x');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    // Field 4 of /proc/<pid>/stat; the name in field 2 may hold spaces and ')', so count after the last ')'.
    private static int ParentIn(string stat) => int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
}
