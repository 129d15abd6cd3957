using CitusHa.Core.Ha;
using CitusHa.Core.Postgres;

namespace CitusHa.Core.Tests.Postgres;

/// <summary>
/// A PostgreSQL as a small state machine (data or none, stopped / running as primary or standby, WAL
/// position, timeline), so whole HA cycles run as unit tests. It behaves as the real adapter does in
/// the ways the loop relies on: a start leaves it running (or fails while <see cref="FailNextStarts"/>
/// lasts, as a crash loop), a stop stops it, a promote makes it a primary on the next timeline, a
/// crash is reported by <see cref="PostmasterExited"/> and <c>ExitedUnexpectedlyAt</c>. Every call is
/// recorded in <see cref="Calls"/>.
/// </summary>
public sealed class ScriptedPostgres(TimeProvider time) : IPostgresControl
{
    // The scripted members reachable by host name: a base backup copies its source's identity and position.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, ScriptedPostgres> Network = new(StringComparer.Ordinal);
    private string? host;

    /// <summary>The name others reach this member by (its conn_url host); registers it on the scripted network.</summary>
    public string? Host
    {
        get => host;
        init
        {
            host = value;
            if (value is not null)
            {
                Network[value] = this;
            }
        }
    }

    /// <summary>Takes members off the scripted network (end of a test).</summary>
    public static void Forget(IEnumerable<string> hosts)
    {
        foreach (var name in hosts)
        {
            Network.TryRemove(name, out _);
        }
    }

    private TaskCompletionSource exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DateTimeOffset? crashedAt;

    public List<string> Calls { get; } = [];

    public bool HasData { get; set; }

    public bool Running { get; private set; }

    /// <summary>Running with standby.signal (a replica, or read-only while the group has no leader).</summary>
    public bool Standby { get; private set; }

    public long Lsn { get; set; } = 0x3000000;

    public int Timeline { get; set; } = 1;

    public string SystemIdentifier { get; set; } = "7000000000000000001";

    public ReplicationSource? Upstream { get; private set; }

    /// <summary>The next N starts fail (PostgreSQL exits while starting): a crash loop.</summary>
    public int FailNextStarts { get; set; }

    /// <summary>The postmaster dies (kill -9, OOM killer): the agent sees a crash.</summary>
    public void Crash()
    {
        Running = false;
        crashedAt = time.GetUtcNow();
        Calls.Add("crash");
        exited.TrySetResult();
        exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>A stopped primary with data, as a whole-group stop (SIGTERM of every agent) leaves it.</summary>
    public static ScriptedPostgres StoppedPrimary(TimeProvider time, long lsn = 0x3000000) => new(time) { HasData = true, Lsn = lsn };

    public Task PostmasterExited => exited.Task;

    public Task<PostgresObservation> ObserveAsync(CancellationToken cancellationToken) => Task.FromResult(new PostgresObservation
    {
        HasData = HasData,
        SystemIdentifier = HasData ? SystemIdentifier : null,
        ControlState = !HasData ? null : Running ? (Standby ? "in archive recovery" : "in production") : (Standby ? "shut down in recovery" : "shut down"),
        PostmasterAlive = Running,
        AcceptingConnections = Running,
        InRecovery = Running ? Standby : null,
        Timeline = HasData ? Timeline : null,
        Lsn = HasData ? Lsn : null,
        UpstreamHost = Running && Standby ? Upstream?.Host : null,
        UpstreamPort = Running && Standby ? Upstream?.Port : null,
        ExitedUnexpectedlyAt = Running ? null : crashedAt,
        PostmasterPid = Running ? 4242 : null,
        MayBeWritable = Running && !Standby,
        ServerVersion = Running ? 150018 : null,
    });

    public Task InitializeAsync(CancellationToken cancellationToken)
    {
        Calls.Add("initdb");
        HasData = true;
        return Task.CompletedTask;
    }

    public Task BaseBackupAsync(ReplicationSource source, CancellationToken cancellationToken)
    {
        Calls.Add($"basebackup from {source.Host}:{source.Port}");
        if (Network.TryGetValue(source.Host, out var from))
        {
            SystemIdentifier = from.SystemIdentifier;
            Lsn = from.Lsn;
            Timeline = from.Timeline;
            Histories.Clear();
            foreach (var (timeline, history) in from.Histories)
            {
                Histories[timeline] = history;
            }
        }

        HasData = true;
        return Task.CompletedTask;
    }

    public Task<(bool Succeeded, string Detail)> RewindAsync(ReplicationSource source, CancellationToken cancellationToken)
    {
        Calls.Add($"rewind from {source.Host}:{source.Port}");
        return Task.FromResult((true, "rewound"));
    }

    /// <summary>History files by timeline, as a promotion writes them.</summary>
    public Dictionary<int, TimelineHistory> Histories { get; } = [];

    public Task<bool> AnswersAsPrimaryAsync(ReplicationSource source, CancellationToken cancellationToken) =>
        Task.FromResult(Network.TryGetValue(source.Host, out var from) && from.Running && !from.Standby);

    public Task<TimelineHistory?> TimelineHistoryAsync(ReplicationSource? source, int timeline, CancellationToken cancellationToken)
    {
        var from = source is null ? this : Network.GetValueOrDefault(source.Host);
        return Task.FromResult(timeline <= 1 ? null : from?.Histories.GetValueOrDefault(timeline));
    }

    public Task WipeAsync(CancellationToken cancellationToken)
    {
        Calls.Add("wipe");
        Histories.Clear();
        HasData = false;
        return Task.CompletedTask;
    }

    public Task StartAsync(ReplicationSource? replicaOf, CancellationToken cancellationToken) =>
        Start(replicaOf is null ? "start as primary" : $"start as replica of {replicaOf.Host}:{replicaOf.Port}", replicaOf, standby: replicaOf is not null);

    public Task StartReadOnlyAsync(CancellationToken cancellationToken) => Start("start read-only", null, standby: true);

    private Task Start(string call, ReplicationSource? upstream, bool standby)
    {
        Calls.Add(call);
        if (Running)
        {
            throw new InvalidOperationException("PostgreSQL is already running.");
        }

        if (FailNextStarts > 0)
        {
            FailNextStarts--;
            crashedAt ??= time.GetUtcNow();
            throw new Core.Errors.CitusHaException(Core.Errors.CitusErrorKind.Unavailable, Core.Errors.ErrorIds.PostgresFailed, "PostgreSQL exited with code 1 while starting (scripted)");
        }

        Running = true;
        Standby = standby;
        Upstream = upstream;
        crashedAt = null;
        return Task.CompletedTask;
    }

    public Task StopAsync(StopMode mode, CancellationToken cancellationToken)
    {
        if (Running)
        {
            Calls.Add($"stop {mode.ToString().ToLowerInvariant()}");
        }

        Running = false;
        crashedAt = null;
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> ReloadLocalParametersAsync(IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([]);

    public Task FollowAsync(ReplicationSource source, CancellationToken cancellationToken)
    {
        if (Upstream != source)
        {
            Calls.Add($"follow {source.Host}:{source.Port}");
            Upstream = source;
        }

        return Task.CompletedTask;
    }

    public async Task PromoteAsync(Func<Task>? whenWritable, CancellationToken cancellationToken)
    {
        Calls.Add("promote");
        Standby = false;
        Upstream = null;
        var parents = Histories.GetValueOrDefault(Timeline)?.Switches ?? [];
        Histories[Timeline + 1] = new TimelineHistory([.. parents, (Timeline, Lsn)]);
        Timeline++;
        if (whenWritable is not null)
        {
            await whenWritable().ConfigureAwait(false);
        }
    }

    public Task CheckpointAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task EnsureSlotsAsync(IReadOnlyCollection<string> slotNames, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<(IReadOnlyList<string> NeedRestart, IReadOnlyList<string> Unknown)> ApplyParametersAsync(IReadOnlyDictionary<string, string> values, IReadOnlyCollection<string> reset, CancellationToken cancellationToken) =>
        Task.FromResult<(IReadOnlyList<string>, IReadOnlyList<string>)>(([], []));

    public Task<IReadOnlyList<string>> PendingRestartAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<string>>([]);

    public string SynchronousStandbyNames { get; private set; } = string.Empty;

    public Task SetSynchronousStandbyNamesAsync(string value, CancellationToken cancellationToken)
    {
        SynchronousStandbyNames = value;
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<(string Name, long FlushLsn)>> StreamingStandbysAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<(string, long)>>([]);

    public Task<IReadOnlyList<ReplicationConnection>> ReplicationAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ReplicationConnection>>([]);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
