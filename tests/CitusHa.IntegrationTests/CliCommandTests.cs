using System.Diagnostics;
using CitusHa.Core.Formation;
using CitusHa.Testing;
using Xunit.Abstractions;

namespace CitusHa.IntegrationTests;

/// <summary>The operator's CLI against a running formation: restart, reinit, pause/resume, failover.</summary>
public sealed class CliCommandTests(ITestOutputHelper output)
{
    private static async Task<(int ExitCode, string Output)> CitushaAsync(CancellationToken ct, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(AgentBinary.Path);
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, (await stdout) + (await stderr));
    }

    [Fact]
    public async Task Restart_reinit_pause_resume_and_failover_work_through_the_cli()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(4));
        await using var harness = await FormationHarness.StartAsync(cancellationToken: ct);
        var etcd = harness.Formation.EtcdEndpoint;
        var leader = (await harness.LeaderAsync(ct))!;
        var replica = harness.Formation.Members.First(m => m.Name != leader);

        // A second agent with a live member's name refuses to start.
        var (duplicateExit, duplicate) = await CitushaAsync(ct, "run", "-c", replica.ConfigFile);
        duplicateExit.ShouldBe(4, duplicate);
        duplicate.ShouldContain("[DuplicateMemberName]");

        var pidsBefore = harness.Formation.Members.Select(m => LocalFormation.PostmasterPid(m)).ToList();
        var (exit, text) = await CitushaAsync(ct, "restart", "demo", "--group", "0", "-d", etcd);
        output.WriteLine(text);
        exit.ShouldBe(0, text);
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.StartsWith("Success: restart on member", StringComparison.Ordinal)).ShouldBe(3, text);
        harness.Formation.Members.Select(m => LocalFormation.PostmasterPid(m)).ShouldAllBe(pid => !pidsBefore.Contains(pid), "every postmaster was restarted");
        await harness.WaitForHealthyAsync(3, TimeSpan.FromSeconds(60), ct, leader: leader);

        (exit, text) = await CitushaAsync(ct, "reinit", "demo", "--member", replica.Name, "-d", etcd);
        exit.ShouldBe(0, text);
        text.ShouldContain("reinitialize started");
        (exit, text) = await CitushaAsync(ct, "reinit", "demo", "--member", leader, "-d", etcd);
        exit.ShouldBe(4, text);
        text.ShouldContain("[MemberIsLeader]");
        await harness.WaitForHealthyAsync(3, TimeSpan.FromSeconds(90), ct, leader: leader);

        (exit, text) = await CitushaAsync(ct, "pause", "demo", "-d", etcd);
        exit.ShouldBe(0, text);
        text.ShouldContain("cluster management is paused");
        (exit, text) = await CitushaAsync(ct, "resume", "demo", "-d", etcd);
        exit.ShouldBe(0, text);
        text.ShouldContain("cluster management is resumed");

        (exit, text) = await CitushaAsync(ct, "failover", "demo", "--candidate", replica.Name, "-d", etcd);
        output.WriteLine(text);
        exit.ShouldBe(0, text);
        text.ShouldContain($"\"{replica.Name}\"");
        await harness.WaitForHealthyAsync(3, TimeSpan.FromSeconds(60), ct, leader: replica.Name);

        (exit, text) = await CitushaAsync(ct, "switchover", "demo", "--candidate", "ghost", "-d", etcd);
        exit.ShouldBe(3, text);
        text.ShouldContain("'ghost' is not a member of group 0");
        text.ShouldContain("[MemberNotFound]");
    }
}
