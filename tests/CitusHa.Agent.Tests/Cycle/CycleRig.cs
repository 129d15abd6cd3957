using CitusHa.Agent.Loop;
using CitusHa.Agent.Watchdog;
using CitusHa.Core.Configuration;
using CitusHa.Core.Tests.Dcs;
using CitusHa.Core.Tests.Postgres;
using Microsoft.Extensions.Logging.Abstractions;

namespace CitusHa.Agent.Tests.Cycle;

/// <summary>
/// One member's whole HA loop (observer, cycle planner, executor, leader upkeep) on an in-memory
/// etcd and a scripted PostgreSQL, driven one cycle at a time: the agent minus its processes.
/// Several rigs on one store form a group.
/// </summary>
internal sealed class CycleRig : IAsyncDisposable
{
    private readonly string folder;
    private readonly HaLoop loop;
    private readonly HttpClient http;

    private CycleRig(string name, InMemoryDcsStore store, ScriptedPostgres postgres, string dcsSection)
    {
        Name = name;
        Store = store;
        Postgres = postgres;
        folder = Directory.CreateTempSubdirectory("citusha-cycle-").FullName;
        var config = Path.Combine(folder, "citusha.yml");
        string[] yaml =
        [
            "scope: rig",
            $"name: {name}",
            "restapi: {listen: 127.0.0.1:1, connect_address: 127.0.0.1:1}",
            "etcd3: {hosts: 127.0.0.1:1}",
            "bootstrap:",
            "  dcs:",
            dcsSection,
            "postgresql:",
            $"  data_dir: {Path.Combine(folder, "data")}",
            $"  connect_address: {name}:5432",
            "  authentication:",
            "    superuser: {username: postgres, password: s}",
            "    replication: {username: replicator, password: r}",
            $"citusha: {{state_dir: {Path.Combine(folder, "state")}}}",
            "watchdog: {mode: off}",
        ];
        File.WriteAllLines(config, yaml);
        Settings = AgentSettingsLoader.Load(config, _ => null);
        var time = TimeProvider.System;
        var status = new AgentStatus(Settings, time);
        var context = new AgentContext(Settings, store, postgres, new LeaseKeeper(store, time), status, NullLogger.Instance)
        {
            PostgresOptions = Core.Postgres.PostgresOptions.ForAgent(Settings, new Dictionary<string, string>()),
        };
        http = new HttpClient { Timeout = TimeSpan.FromMilliseconds(200) };
        loop = new HaLoop(context, new PeerClient(http), new ProcessWatchdog(Settings, NullLogger.Instance), time);
        Status = status;
    }

    public string Name { get; }

    public InMemoryDcsStore Store { get; }

    public ScriptedPostgres Postgres { get; }

    public AgentSettings Settings { get; }

    public AgentStatus Status { get; }

    /// <summary>The last cycle's decision, as the log and GET /patroni show it.</summary>
    public string? LastDecision => Status.Last?.Decision.Reason;

    /// <summary>A member named <paramref name="name"/>; <paramref name="dcsSection"/> holds the lines under bootstrap.dcs (indented by four spaces), e.g. the timers.</summary>
    public static CycleRig Create(string name, InMemoryDcsStore store, ScriptedPostgres postgres, string dcsSection = "    ttl: 4\n    loop_wait: 0.2\n    retry_timeout: 1\n    synchronous_mode: off") =>
        new(name, store, postgres, dcsSection);

    /// <summary>Runs one cycle and waits for the operation it started (scripted operations end at once).</summary>
    public async Task CycleAsync()
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await loop.RunOneCycleAsync(limit.Token);
        if (loop.RunningOperation is { } operation)
        {
            try
            {
                await operation.WaitAsync(limit.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A failed operation is the next cycle's observation, as in the agent.
            }
        }
    }

    /// <summary>Cycles (with <paramref name="pause"/> between them) until <paramref name="done"/> holds; fails after <paramref name="maxCycles"/>.</summary>
    public Task CycleUntilAsync(Func<bool> done, string what, int maxCycles = 50, TimeSpan? pause = null) =>
        CycleUntilAsync(() => Task.FromResult(done()), what, maxCycles, pause);

    public async Task CycleUntilAsync(Func<Task<bool>> done, string what, int maxCycles = 50, TimeSpan? pause = null)
    {
        for (var i = 0; i < maxCycles; i++)
        {
            await CycleAsync();
            if (await done())
            {
                return;
            }

            await Task.Delay(pause ?? TimeSpan.FromMilliseconds(50));
        }

        throw new ShouldAssertException($"{Name}: {what} did not happen within {maxCycles} cycles; last decision: {LastDecision}; calls: {string.Join(" → ", Postgres.Calls)}");
    }

    /// <summary>A group: each member runs a cycle per round (so every lease stays renewed) until <paramref name="done"/> holds.</summary>
    public static async Task CycleAllUntilAsync(IReadOnlyList<CycleRig> group, Func<Task<bool>> done, string what, int maxRounds = 50, TimeSpan? pause = null)
    {
        for (var i = 0; i < maxRounds; i++)
        {
            foreach (var member in group)
            {
                await member.CycleAsync();
            }

            if (await done())
            {
                return;
            }

            await Task.Delay(pause ?? TimeSpan.FromMilliseconds(50));
        }

        throw new ShouldAssertException($"{what} did not happen within {maxRounds} rounds; {string.Join("; ", group.Select(m => $"{m.Name}: {m.LastDecision} ({string.Join(" → ", m.Postgres.Calls)})"))}");
    }

    public async Task<string?> LeaderAsync()
    {
        var keys = await Store.ReadPrefixAsync("/service/rig/", CancellationToken.None);
        return keys.Items.FirstOrDefault(i => i.Key == "/service/rig/leader")?.Value;
    }

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        await Task.CompletedTask;
        Directory.Delete(folder, recursive: true);
    }
}
