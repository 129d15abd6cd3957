using System.Diagnostics;
using CitusHa.Agent.Watchdog;
using CitusHa.Core.Adapters.Processes;

namespace CitusHa.Agent.Tests.Watchdog;

/// <summary>
/// The watchdog script the agent ships, run as the agent runs it (bash, fed on stdin), against a stand-in
/// postmaster: a bash process with two children, as a postmaster has backends that keep serving their
/// sessions after the postmaster itself died.
/// </summary>
public sealed class WatchdogScriptTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("citusha-watchdog-").FullName;
    private readonly List<Process> started = [];

    public void Dispose()
    {
        foreach (var process in started)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // already gone
            }

            process.Dispose();
        }

        Directory.Delete(folder, recursive: true);
    }

    private Process Start(string file, params string[] arguments) => StartIn(null, file, arguments);

    private Process StartIn(string? workingDirectory, string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardInput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory ?? string.Empty };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        var process = Process.Start(info)!;
        started.Add(process);
        return process;
    }

    private Process StartWatchdog(string? dataDirectory = null)
    {
        var script = Path.Combine(folder, "watchdog.sh");
        using (var resource = typeof(ProcessWatchdog).Assembly.GetManifestResourceStream("watchdog.sh")!)
        using (var file = File.Create(script))
        {
            resource.CopyTo(file);
        }

        return dataDirectory is null ? Start("bash", script) : Start("bash", script, dataDirectory);
    }

    /// <summary>A data directory whose postmaster.pid names <paramref name="pid"/>, as PostgreSQL writes it (PID first, then the directory).</summary>
    private string DataDirectoryNaming(int pid)
    {
        var directory = Directory.CreateDirectory(Path.Combine(folder, "data")).FullName;
        File.WriteAllText(Path.Combine(directory, "postmaster.pid"), $"{pid}\n{directory}\n1700000000\n5432\n");
        return directory;
    }

    /// <summary>A stand-in postmaster running in a data directory whose postmaster.pid names it.</summary>
    private async Task<(string Data, Process Postmaster, int[] Children)> StartPostmasterInDataDirectoryAsync()
    {
        var (postmaster, children) = await StartPostmasterStandInAsync(Directory.CreateDirectory(Path.Combine(folder, "data")).FullName);
        return (DataDirectoryNaming(postmaster.Id), postmaster, children);
    }

    /// <summary>A parent with two children; returns the parent and the children's PIDs once both run.</summary>
    private async Task<(Process Parent, int[] Children)> StartPostmasterStandInAsync(string? workingDirectory = null)
    {
        var parent = StartIn(workingDirectory, "bash", "-c", "sleep 300 & sleep 300 & wait");
        for (var i = 0; i < 200; i++)
        {
            var children = ProcessTable.Descendants(parent.Id).ToArray();
            if (children.Length == 2)
            {
                return (parent, children);
            }

            await Task.Delay(25);
        }

        throw new InvalidOperationException("the stand-in postmaster did not start its children");
    }

    private static async Task<bool> AllGoneWithinAsync(IReadOnlyCollection<int> pids, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < within)
        {
            if (pids.All(p => !ProcessTable.IsAlive(p)))
            {
                return true;
            }

            await Task.Delay(20);
        }

        return false;
    }

    [Fact]
    public async Task An_armed_watchdog_that_is_not_fed_kills_the_postmaster_and_every_child()
    {
        var (postmaster, children) = await StartPostmasterStandInAsync();
        var watchdog = StartWatchdog();

        await watchdog.StandardInput.WriteLineAsync($"arm 300 {postmaster.Id}");
        await watchdog.StandardInput.FlushAsync();

        (await AllGoneWithinAsync([postmaster.Id, .. children], TimeSpan.FromSeconds(20)))
            .ShouldBeTrue("the postmaster and its children must be killed once the deadline passed");
        (await watchdog.StandardError.ReadLineAsync()).ShouldNotBeNull().ShouldContain($"killed postmaster {postmaster.Id}");
    }

    [Fact]
    public async Task A_watchdog_whose_agent_is_gone_still_fences_at_its_deadline()
    {
        var (postmaster, children) = await StartPostmasterStandInAsync();
        var watchdog = StartWatchdog();

        await watchdog.StandardInput.WriteLineAsync($"arm 300 {postmaster.Id}");
        watchdog.StandardInput.Close(); // the agent died: end of input

        (await AllGoneWithinAsync([postmaster.Id, .. children], TimeSpan.FromSeconds(20))).ShouldBeTrue();
        await watchdog.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task A_fed_or_disarmed_watchdog_kills_nothing()
    {
        var (postmaster, children) = await StartPostmasterStandInAsync();
        var watchdog = StartWatchdog();

        // Fed every 200 ms with a 1.5 s deadline for 3 s (twice the deadline), then disarmed and left
        // alone for longer than the deadline.
        for (var i = 0; i < 15; i++)
        {
            await watchdog.StandardInput.WriteLineAsync($"arm 1500 {postmaster.Id}");
            await watchdog.StandardInput.FlushAsync();
            await Task.Delay(200);
        }

        await watchdog.StandardInput.WriteLineAsync("disarm");
        await watchdog.StandardInput.FlushAsync();
        await Task.Delay(2000);

        new[] { postmaster.Id }.Concat(children).ShouldAllBe(pid => ProcessTable.IsAlive(pid));
    }

    [Fact]
    public async Task Armed_without_a_pid_it_fences_the_postmaster_that_runs_in_its_data_directory()
    {
        // A postmaster the agent has not observed yet (started as a primary, or promoted, in the cycle
        // in which the agent froze): known only by postmaster.pid, and proved ours by its cwd.
        var (data, postmaster, children) = await StartPostmasterInDataDirectoryAsync();
        var watchdog = StartWatchdog(data);

        await watchdog.StandardInput.WriteLineAsync("arm 300 -");
        await watchdog.StandardInput.FlushAsync();

        (await AllGoneWithinAsync([postmaster.Id, .. children], TimeSpan.FromSeconds(20))).ShouldBeTrue("the data directory's postmaster and its children are fenced");
        (await watchdog.StandardError.ReadLineAsync()).ShouldNotBeNull().ShouldContain($"killed postmaster {postmaster.Id}");
    }

    [Fact]
    public async Task Armed_with_a_stale_pid_it_still_fences_the_data_directorys_postmaster()
    {
        // The agent's PID is of a postmaster that is gone; a new one runs. Before, such an arm left the
        // watchdog silently disarmed.
        var gone = Start("true");
        await gone.WaitForExitAsync();
        var (data, postmaster, children) = await StartPostmasterInDataDirectoryAsync();
        var watchdog = StartWatchdog(data);

        await watchdog.StandardInput.WriteLineAsync($"arm 300 {gone.Id}");
        await watchdog.StandardInput.FlushAsync();

        (await AllGoneWithinAsync([postmaster.Id, .. children], TimeSpan.FromSeconds(20))).ShouldBeTrue();
    }

    [Fact]
    public async Task A_postmaster_pid_naming_a_process_outside_the_data_directory_is_never_touched()
    {
        // A stale postmaster.pid whose PID now belongs to an unrelated process (its cwd is elsewhere).
        var elsewhere = Directory.CreateDirectory(Path.Combine(folder, "elsewhere")).FullName;
        var (unrelated, children) = await StartPostmasterStandInAsync(elsewhere);
        var data = DataDirectoryNaming(unrelated.Id);
        var watchdog = StartWatchdog(data);

        await watchdog.StandardInput.WriteLineAsync("arm 200 -");
        watchdog.StandardInput.Close();

        await watchdog.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        (await watchdog.StandardError.ReadToEndAsync()).ShouldContain("nothing to fence");
        new[] { unrelated.Id }.Concat(children).ShouldAllBe(pid => ProcessTable.IsAlive(pid));
    }

    [Fact]
    public async Task A_malformed_line_is_ignored_and_leaves_the_deadline_armed()
    {
        var (postmaster, children) = await StartPostmasterStandInAsync();
        var watchdog = StartWatchdog();

        await watchdog.StandardInput.WriteLineAsync($"arm 400 {postmaster.Id}");
        await watchdog.StandardInput.WriteLineAsync($"arm soon {postmaster.Id}");
        await watchdog.StandardInput.FlushAsync();

        (await watchdog.StandardError.ReadLineAsync()).ShouldNotBeNull().ShouldContain("ignored a malformed line");
        (await AllGoneWithinAsync([postmaster.Id, .. children], TimeSpan.FromSeconds(20))).ShouldBeTrue("the deadline armed before the bad line still fences");
    }

    [Fact]
    public async Task An_orphaned_watchdog_leaves_alone_a_postmaster_started_after_its_agent_was_gone()
    {
        // kill -9 of the agent, a new agent at once: it stops the postmaster left running and starts
        // its own. The old watchdog, still waiting for its deadline, must not kill the new one.
        var (data, before, _) = await StartPostmasterInDataDirectoryAsync();
        var watchdog = StartWatchdog(data);
        await watchdog.StandardInput.WriteLineAsync("arm 1500 -");
        watchdog.StandardInput.Close(); // the agent died
        await Task.Delay(200);
        before.Kill(entireProcessTree: true); // the new agent stopped the leftover postmaster...
        await before.WaitForExitAsync();
        var (after, children) = await StartPostmasterStandInAsync(data); // ...and started its own
        DataDirectoryNaming(after.Id);

        await watchdog.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        (await watchdog.StandardError.ReadToEndAsync()).ShouldContain("nothing to fence");
        new[] { after.Id }.Concat(children).ShouldAllBe(pid => ProcessTable.IsAlive(pid));
    }
}
