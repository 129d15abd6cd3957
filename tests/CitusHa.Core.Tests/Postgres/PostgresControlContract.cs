using CitusHa.Core.Ha;
using CitusHa.Core.Postgres;
using CitusHa.Testing;

namespace CitusHa.Core.Tests.Postgres;

/// <summary>
/// What the HA loop relies on from any <see cref="IPostgresControl"/>, run against the real adapter
/// (PostgreSQL 15) and against <see cref="ScriptedPostgres"/>, so whole-cycle unit tests on the
/// scripted one mean something about the real one.
/// </summary>
public abstract class PostgresControlContract : IAsyncLifetime
{
    /// <summary>A control over an empty data directory.</summary>
    protected abstract Task<IPostgresControl> CreateAsync(string name);

    /// <summary>Where <paramref name="primary"/> is reached by the replica <paramref name="replica"/> (its slot).</summary>
    protected abstract ReplicationSource SourceOf(IPostgresControl primary, string replica);

    /// <summary>Commits something on a running primary, so its WAL position moves.</summary>
    protected abstract Task WriteAsync(IPostgresControl primary);

    /// <summary>What the agent's bootstrap does on a new primary besides the interface (the replication role).</summary>
    protected virtual Task BootstrapPrimaryAsync(IPostgresControl primary) => Task.CompletedTask;

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public abstract Task DisposeAsync();

    [Fact]
    public async Task Bootstrap_start_stop_and_the_observations_between()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(2));
        var pg = await CreateAsync("a");
        (await pg.ObserveAsync(ct)).ShouldSatisfyAllConditions(o => o.HasData.ShouldBeFalse(), o => o.PostmasterAlive.ShouldBeFalse());

        await pg.InitializeAsync(ct);
        await pg.StartAsync(null, ct);
        var running = await pg.ObserveAsync(ct);
        running.ShouldSatisfyAllConditions(
            o => o.HasData.ShouldBeTrue(),
            o => o.PostmasterAlive.ShouldBeTrue(),
            o => o.AcceptingConnections.ShouldBeTrue(),
            o => o.InRecovery.ShouldBe(false),
            o => o.MayBeWritable.ShouldBeTrue(),
            o => o.PostmasterPid.ShouldNotBeNull(),
            o => o.SystemIdentifier.ShouldNotBeNullOrEmpty(),
            o => o.Timeline.ShouldBe(1),
            o => o.Lsn.ShouldNotBeNull());

        await WriteAsync(pg);
        (await pg.ObserveAsync(ct)).Lsn!.Value.ShouldBeGreaterThan(running.Lsn!.Value, "a commit moves the primary's position");

        await pg.StopAsync(StopMode.Fast, ct);
        var stopped = await pg.ObserveAsync(ct);
        stopped.ShouldSatisfyAllConditions(
            o => o.PostmasterAlive.ShouldBeFalse(),
            o => o.HasData.ShouldBeTrue(),
            o => o.ControlState.ShouldBe("shut down"),
            o => o.ExitedUnexpectedlyAt.ShouldBeNull("a stop asked for is not a crash"),
            o => o.SystemIdentifier.ShouldBe(running.SystemIdentifier));
    }

    [Fact]
    public async Task A_member_started_read_only_is_in_recovery_until_promoted_onto_the_next_timeline()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(2));
        var pg = await CreateAsync("a");
        await pg.InitializeAsync(ct);
        await pg.StartAsync(null, ct);
        await pg.StopAsync(StopMode.Fast, ct);

        await pg.StartReadOnlyAsync(ct);
        var readOnly = await pg.ObserveAsync(ct);
        readOnly.ShouldSatisfyAllConditions(o => o.InRecovery.ShouldBe(true), o => o.MayBeWritable.ShouldBeFalse(), o => o.UpstreamHost.ShouldBeNull());

        (await pg.AnswersAsPrimaryAsync(SourceOf(pg, "b"), ct)).ShouldBeFalse("read-only: no copy can be taken from it as from a leader");
        var writable = false;
        await pg.PromoteAsync(() => { writable = true; return Task.CompletedTask; }, ct);
        writable.ShouldBeTrue("the callback runs once it takes writes");
        var promoted = await pg.ObserveAsync(ct);
        promoted.ShouldSatisfyAllConditions(o => o.InRecovery.ShouldBe(false), o => o.Timeline.ShouldBe(readOnly.Timeline + 1));

        // The new timeline's history names the one it left (and where); timeline 1 has none. Asked
        // locally or over the network, the answer is the same.
        var history = (await pg.TimelineHistoryAsync(null, promoted.Timeline!.Value, ct)).ShouldNotBeNull();
        history.Switches.Select(s => s.Timeline).ShouldBe([readOnly.Timeline!.Value]);
        history.Switches[0].SwitchLsn.ShouldBeGreaterThan(0);
        (await pg.TimelineHistoryAsync(SourceOf(pg, "b"), promoted.Timeline!.Value, ct)).ShouldNotBeNull().SameAs(history).ShouldBeTrue();
        (await pg.TimelineHistoryAsync(null, 1, ct)).ShouldBeNull();
        (await pg.TimelineHistoryAsync(null, promoted.Timeline!.Value + 1, ct)).ShouldBeNull("no such timeline yet");
        (await pg.AnswersAsPrimaryAsync(SourceOf(pg, "b"), ct)).ShouldBeTrue();
        await pg.StopAsync(StopMode.Fast, ct);
        (await pg.AnswersAsPrimaryAsync(SourceOf(pg, "b"), ct)).ShouldBeFalse("stopped");
    }

    [Fact]
    public async Task A_replica_cloned_from_a_primary_streams_from_it()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(2));
        var primary = await CreateAsync("a");
        await primary.InitializeAsync(ct);
        await primary.StartAsync(null, ct);
        await BootstrapPrimaryAsync(primary);
        var replica = await CreateAsync("b");
        var source = SourceOf(primary, "b");
        await primary.EnsureSlotsAsync([source.SlotName], ct);

        await replica.BaseBackupAsync(source, ct);
        await replica.StartAsync(source, ct);
        var observed = await replica.ObserveAsync(ct);
        var primarySystem = (await primary.ObserveAsync(ct)).SystemIdentifier;
        observed.ShouldSatisfyAllConditions(
            o => o.InRecovery.ShouldBe(true),
            o => o.SystemIdentifier.ShouldBe(primarySystem),
            o => o.MayBeWritable.ShouldBeFalse());
    }

    [Fact]
    public async Task Starting_twice_is_refused_and_a_stop_of_a_stopped_server_is_a_no_op()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(2));
        var pg = await CreateAsync("a");
        await pg.StopAsync(StopMode.Fast, ct);
        await pg.InitializeAsync(ct);
        await pg.StartAsync(null, ct);
        await Should.ThrowAsync<Exception>(() => pg.StartAsync(null, ct));
        (await pg.ObserveAsync(ct)).AcceptingConnections.ShouldBeTrue("the refused start left the running server alone");
    }
}

/// <summary>The contract on the real adapter and PostgreSQL 15.</summary>
public sealed class PostgresInstanceContractTests : PostgresControlContract
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "citusha-tests", $"pgcontract-{Guid.NewGuid():N}");
    private readonly List<(CitusHa.Core.Adapters.Postgres.PostgresInstance Instance, PostgresOptions Options)> created = [];

    protected override Task<IPostgresControl> CreateAsync(string name)
    {
        var options = Adapters.Postgres.PostgresInstanceTests.OptionsFor(root, name);
        var instance = new CitusHa.Core.Adapters.Postgres.PostgresInstance(options);
        created.Add((instance, options));
        return Task.FromResult<IPostgresControl>(instance);
    }

    protected override Task BootstrapPrimaryAsync(IPostgresControl primary) =>
        ((CitusHa.Core.Adapters.Postgres.PostgresInstance)primary).EnsureReplicationRoleAsync(TestTimeouts.Default);

    protected override ReplicationSource SourceOf(IPostgresControl primary, string replica) =>
        new("127.0.0.1", created.Single(c => ReferenceEquals(c.Instance, primary)).Options.Port, PostgresOptions.SlotNameFor(replica));

    protected override async Task WriteAsync(IPostgresControl primary)
    {
        var options = created.Single(c => ReferenceEquals(c.Instance, primary)).Options;
        var cs = new Npgsql.NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = options.Port, Username = "postgres", Password = "super-secret", Database = "postgres", Pooling = false }.ConnectionString;
        await using var connection = new Npgsql.NpgsqlConnection(cs);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("CREATE TABLE IF NOT EXISTS contract (id int); INSERT INTO contract VALUES (1)", connection);
        await command.ExecuteNonQueryAsync();
    }

    public override async Task DisposeAsync()
    {
        foreach (var (instance, _) in created)
        {
            try
            {
                await instance.StopAsync(StopMode.Immediate, TestTimeouts.Default);
            }
            finally
            {
                await instance.DisposeAsync();
            }
        }

        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }
}

/// <summary>The same contract on the scripted PostgreSQL the whole-cycle tests use.</summary>
public sealed class ScriptedPostgresContractTests : PostgresControlContract
{
    private readonly Dictionary<IPostgresControl, string> names = [];

    protected override Task<IPostgresControl> CreateAsync(string name)
    {
        var pg = new ScriptedPostgres(TimeProvider.System) { Host = name };
        names[pg] = name;
        return Task.FromResult<IPostgresControl>(pg);
    }

    protected override ReplicationSource SourceOf(IPostgresControl primary, string replica) => new(names[primary], 5432, PostgresOptions.SlotNameFor(replica));

    protected override Task WriteAsync(IPostgresControl primary)
    {
        ((ScriptedPostgres)primary).Lsn += 120;
        return Task.CompletedTask;
    }

    public override Task DisposeAsync()
    {
        ScriptedPostgres.Forget(names.Values);
        return Task.CompletedTask;
    }
}
