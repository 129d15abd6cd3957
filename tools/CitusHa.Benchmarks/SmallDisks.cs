using System.Globalization;
using CitusHa.Core.Adapters.Processes;
using CitusHa.Core.Formation;

namespace CitusHa.Benchmarks;

/// <summary>
/// The soak's disk-full fault: each member's data directory is its own tmpfs (1 GiB), and "disk
/// full" shrinks it to what it already holds plus a few kilobytes, so the next WAL segment, temp
/// file or checkpoint fails with ENOSPC, as on a full volume; afterwards it grows back. Needs root
/// (mount); without it the soak runs without this fault.
/// </summary>
internal sealed class SmallDisks
{
    private const string FullSize = "1g";
    private readonly CommandRunner runner = new();
    private readonly List<string> mounted = [];

    public bool Available => mounted.Count > 0;

    /// <summary>Mounts a tmpfs on every member's (still empty) data directory, owned by <paramref name="owner"/>; false when that is not possible here.</summary>
    public async Task<bool> MountAsync(IEnumerable<LocalMember> members, string? owner, CancellationToken ct)
    {
        if (!Environment.IsPrivilegedProcess || owner is null)
        {
            return false;
        }

        var uid = (await runner.RunAsync("id", ["-u", owner], TimeSpan.FromSeconds(5), ct)).Output.Trim();
        var gid = (await runner.RunAsync("id", ["-g", owner], TimeSpan.FromSeconds(5), ct)).Output.Trim();
        foreach (var member in members)
        {
            Directory.CreateDirectory(member.DataDirectory);
            var result = await runner.RunAsync("mount", ["-t", "tmpfs", "-o", $"size={FullSize},mode=0700,uid={uid},gid={gid}", "tmpfs", member.DataDirectory], TimeSpan.FromSeconds(10), ct);
            if (result.ExitCode != 0)
            {
                Console.WriteLine($"disk-full fault left out: mount tmpfs on {member.DataDirectory} failed: {result.Output.Trim()}");
                await UnmountAllAsync();
                return false;
            }

            mounted.Add(member.DataDirectory);
        }

        return true;
    }

    /// <summary>Fills <paramref name="member"/>'s disk for <paramref name="hold"/>, then gives it its size back.</summary>
    public async Task FillAsync(LocalMember member, TimeSpan hold, CancellationToken ct)
    {
        var df = await runner.RunAsync("df", ["--output=used", "-k", member.DataDirectory], TimeSpan.FromSeconds(5), ct);
        var usedKb = long.Parse(df.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1], CultureInfo.InvariantCulture);
        await runner.RunAsync("mount", ["-o", $"remount,size={usedKb + 64}k", member.DataDirectory], TimeSpan.FromSeconds(10), ct);
        try
        {
            await Task.Delay(hold, ct);
        }
        finally
        {
            await runner.RunAsync("mount", ["-o", $"remount,size={FullSize}", member.DataDirectory], TimeSpan.FromSeconds(10), CancellationToken.None);
        }
    }

    /// <summary>After every process is stopped: lazy unmount, so a straggler cannot keep the soak from ending.</summary>
    public async Task UnmountAllAsync()
    {
        foreach (var directory in mounted)
        {
            await runner.RunAsync("umount", ["-l", directory], TimeSpan.FromSeconds(10), CancellationToken.None);
        }

        mounted.Clear();
    }
}
