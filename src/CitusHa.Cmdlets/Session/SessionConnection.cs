using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;
using CitusHa.Core.Operations;

namespace CitusHa.Session;

/// <summary>
/// The connection Connect-CitusCluster made the default, one per runspace: two runspaces (two
/// ForEach-Object -Parallel branches, two Automation jobs) never share or overwrite each other's.
/// </summary>
internal static class SessionConnection
{
    private static readonly ConditionalWeakTable<Runspace, OperatorConnection> Defaults = new();

    public static OperatorConnection? Current =>
        Runspace.DefaultRunspace is { } runspace && Defaults.TryGetValue(runspace, out var connection) ? connection : null;

    public static void Set(OperatorConnection connection)
    {
        if (Runspace.DefaultRunspace is { } runspace)
        {
            Defaults.AddOrUpdate(runspace, connection);
        }
    }

    /// <summary>Forgets the default; true when there was one.</summary>
    public static bool Clear() => Runspace.DefaultRunspace is { } runspace && Defaults.Remove(runspace);
}
