using CitusHa.Core.Ha;

namespace CitusHa.Core.Tests.Ha;

/// <summary>Named builders for decision-table rows: a view reads like the situation it describes.</summary>
internal static class Views
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    public const long MyLease = 42;

    private static GroupView Base(DcsView? dcs, LocalPostgres pg) => new()
    {
        Now = T0,
        Me = new MemberIdentity("me"),
        Dcs = dcs,
        Lease = new LeaseView(MyLease, T0 + TimeSpan.FromSeconds(9)),
        Postgres = pg,
        Settings = HaSettings.Defaults,
    };

    public static LocalPostgres Replica(long lsn = 1000, string? upstream = "leader", int timeline = 1) => new()
    {
        HasData = true, SystemIdentifier = "7000000000000000001", RunState = PostgresRunState.Running, InRecovery = true, Lsn = lsn, Upstream = upstream, Timeline = timeline,
    };

    public static LocalPostgres Primary(long lsn = 1000, int timeline = 1) => new()
    {
        HasData = true, SystemIdentifier = "7000000000000000001", RunState = PostgresRunState.Running, InRecovery = false, Lsn = lsn, Timeline = timeline,
    };

    /// <summary>A postmaster that is alive but does not answer, with no standby.signal: it may be a primary.</summary>
    public static LocalPostgres Unanswering(bool standbySignal = false) => new()
    {
        HasData = true, SystemIdentifier = "7000000000000000001", RunState = PostgresRunState.Starting, UnobservedMayBeWritable = !standbySignal,
    };

    public static LocalPostgres Empty() => new() { HasData = false, RunState = PostgresRunState.Stopped };

    public static LocalPostgres Down(DateTimeOffset? crashedAt = null) => new()
    {
        HasData = true, SystemIdentifier = "7000000000000000001", RunState = crashedAt is null ? PostgresRunState.Stopped : PostgresRunState.Crashed, CrashedAt = crashedAt,
    };

    public static DcsView Keys(string? leader = null, long leaderLease = 7, string? initialize = "7000000000000000001", long? clusterLsn = 1000) => new()
    {
        Leader = leader is null ? null : new LeaderKey(leader, leader == "me" ? leaderLease : leaderLease + 1000, 5),
        Initialize = initialize,
        ClusterLsn = clusterLsn,
        Members =
        [
            new MemberInfo("leader", "postgres://leader:5432/postgres", "http://leader:8008/patroni", "running", "primary", 1000, 1),
            new MemberInfo("me", "postgres://me:5432/postgres", "http://me:8008/patroni", "running", "replica", 1000, 1),
        ],
    };

    /// <summary>Someone else ("leader") holds the key.</summary>
    public static GroupView Following(LocalPostgres? pg = null) => Base(Keys("leader"), pg ?? Replica());

    /// <summary>I hold the key on my current lease.</summary>
    public static GroupView Leading(LocalPostgres? pg = null) => Base(Keys("me", MyLease), pg ?? Primary());

    /// <summary>Nobody holds the key.</summary>
    public static GroupView NoLeader(LocalPostgres? pg = null, long? clusterLsn = 1000) => Base(Keys(clusterLsn: clusterLsn), pg ?? Replica(upstream: null));

    public static GroupView EtcdDown(LocalPostgres? pg = null) => Base(null, pg ?? Primary());

    public static GroupView Fresh(string? initialize = null, string? leader = null) => Base(Keys(leader, initialize: initialize), Empty());

    public static GroupView At(this GroupView view, DateTimeOffset now) => view with { Now = now };

    public static GroupView LeaseEndsIn(this GroupView view, TimeSpan left) => view with { Lease = new LeaseView(MyLease, view.Now + left) };

    public static GroupView Peer(this GroupView view, string name, long lsn, bool inRecovery = true, int priority = 1, bool noFailover = false) =>
        view with { Peers = new Dictionary<string, PeerStatus?>(view.Peers) { [name] = new PeerStatus(inRecovery, lsn, 1, noFailover, priority) } };

    /// <summary>Another member's key: a running standby (or one tagged nofailover).</summary>
    public static GroupView Standby(this GroupView view, string name, bool noFailover = false, long lsn = 900) =>
        view with { Dcs = view.Dcs! with { Members = [.. view.Dcs.Members, new MemberInfo(name, $"postgres://{name}:5432/postgres", $"http://{name}:8008/patroni", "running", "replica", lsn, 1, noFailover)] } };

    public static GroupView SilentPeer(this GroupView view, string name) =>
        view with { Peers = new Dictionary<string, PeerStatus?>(view.Peers) { [name] = null } };

    public static GroupView Tagged(this GroupView view, bool noFailover = false, int priority = 1) => view with { Me = view.Me with { NoFailover = noFailover, FailoverPriority = priority } };

    /// <summary>failsafe_mode on; the members accepted me as primary (until <paramref name="confirmedFor"/> from now) or a primary called me.</summary>
    public static GroupView Failsafe(this GroupView view, TimeSpan? confirmedFor = null, string? calledBy = null) => view with
    {
        Settings = view.Settings with { FailsafeMode = true },
        FailsafeUntil = confirmedFor is { } c ? view.Now + c : null,
        FailsafeLeader = calledBy,
    };

    public static GroupView Paused(this GroupView view) => view with { Dcs = view.Dcs! with { Paused = true } };

    public static GroupView Sync(this GroupView view, string leader, int quorum, params string[] standbys) =>
        view with { Dcs = view.Dcs! with { Sync = new SyncState(leader, standbys, quorum, 3) } };

    public static GroupView Request(this GroupView view, string? leader, string? candidate, DateTimeOffset? at = null) =>
        view with { Dcs = view.Dcs! with { Failover = new FailoverRequest(leader, candidate, at, 9) } };

    public static GroupView Timeline(this GroupView view, int clusterTimeline) => view with { Dcs = view.Dcs! with { ClusterTimeline = clusterTimeline } };

    public static GroupView Running(this GroupView view, OperationKind kind) => view with { Operation = new RunningOperation(kind, view.Now) };

    public static GroupView Sysid(this GroupView view, string sysid) => view with { Postgres = view.Postgres with { SystemIdentifier = sysid } };
}
