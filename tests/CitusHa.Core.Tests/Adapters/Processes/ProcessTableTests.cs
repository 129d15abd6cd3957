using System.Diagnostics;
using CitusHa.Core.Adapters.Processes;

namespace CitusHa.Core.Tests.Adapters.Processes;

/// <summary>/proc as the agent, the soak and the tests read it, against real processes.</summary>
public sealed class ProcessTableTests
{
    [Fact]
    public async Task A_zombie_is_not_alive_although_proc_still_lists_it()
    {
        // `sleep 0` exits at once, and its parent has become `sleep 30` (exec), which never reaps it:
        // a zombie, as a killed postmaster stays while its frozen agent cannot reap it.
        using var parent = Process.Start(new ProcessStartInfo("bash", ["-c", "sleep 0 & exec sleep 30"]) { UseShellExecute = false })!;
        try
        {
            int? zombie = null;
            for (var i = 0; i < 200 && zombie is null; i++)
            {
                zombie = ProcessTable.Descendants(parent.Id).Cast<int?>().FirstOrDefault(pid => File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal));
                if (zombie is null)
                {
                    await Task.Delay(25);
                }
            }

            var pid = zombie.ShouldNotBeNull("the exited child stays a zombie under a parent that does not reap it");
            Directory.Exists($"/proc/{pid}").ShouldBeTrue();
            ProcessTable.IsAlive(pid).ShouldBeFalse();
            ProcessTable.IsAlive(parent.Id).ShouldBeTrue();
        }
        finally
        {
            parent.Kill();
        }
    }

    [Fact]
    public async Task A_process_that_ended_is_not_alive()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        await process.WaitForExitAsync();
        ProcessTable.IsAlive(process.Id).ShouldBeFalse();
    }
}
