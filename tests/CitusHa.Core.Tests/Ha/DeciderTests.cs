using CitusHa.Core.Ha;
using static CitusHa.Core.Tests.Ha.Views;

namespace CitusHa.Core.Tests.Ha;

public sealed class DeciderTests
{
    private static readonly TimeSpan S = TimeSpan.FromSeconds(1);

    public static TheoryData<string, GroupView, Type, string> Rows => new()
    {
        // Safety first
        { "etcd unreachable and my lease is about to end while I run as primary", EtcdDown().LeaseEndsIn(3 * S), typeof(DemoteFenced), "etcd is not reachable" },
        { "etcd unreachable but my lease has plenty of time", EtcdDown().LeaseEndsIn(8 * S), typeof(NoAction), "etcd is not reachable" },
        { "etcd unreachable, I am a replica", EtcdDown(Replica()), typeof(NoAction), "etcd is not reachable" },
        { "failsafe: etcd unreachable, lease ended, every member accepted me", EtcdDown().LeaseEndsIn(-5 * S).Failsafe(confirmedFor: 9 * S), typeof(NoAction), "failsafe mode is enabled and all members are accessible" },
        { "failsafe: etcd unreachable, a member did not accept me", EtcdDown().LeaseEndsIn(3 * S).Failsafe(), typeof(DemoteFenced), "etcd is not reachable" },
        { "failsafe: the consent is about to end", EtcdDown().LeaseEndsIn(-5 * S).Failsafe(confirmedFor: 2 * S), typeof(DemoteFenced), "etcd is not reachable" },
        { "failsafe: the consent has ended", EtcdDown().LeaseEndsIn(-5 * S).Failsafe(confirmedFor: -1 * S), typeof(DemoteFenced), "my lease has run out" },
        { "failsafe: consent does not outlast etcd coming back with someone else's key", Following(Primary()).Failsafe(confirmedFor: 9 * S), typeof(DemoteFenced), "leader holds the leader key" },
        { "failsafe: the primary that ran through the outage called me; I leave it the key", NoLeader().Peer("leader", 1000, inRecovery: false).Failsafe(calledBy: "leader"), typeof(NoAction), "leaving the leader key to it" },
        { "failsafe off: a recorded call changes nothing", NoLeader().Peer("leader", 900).Failsafe(calledBy: "leader") with { Settings = HaSettings.Defaults }, typeof(AcquireLeaderKey), "taking the leader key" },
        { "a primary that does not answer, cut off from etcd, lease about to end", EtcdDown(Unanswering()).LeaseEndsIn(3 * S), typeof(DemoteFenced), "etcd is not reachable" },
        { "a primary that does not answer while someone else holds the key", Following(Unanswering()), typeof(DemoteFenced), "does not answer, may be running as a primary" },
        { "an unanswering primary is fenced even during an operation", Following(Unanswering()).Running(OperationKind.Restart), typeof(DemoteFenced), "may be running as a primary" },
        { "a standby that does not answer is not fenced", Following(Unanswering(standbySignal: true)), typeof(NoAction), "PostgreSQL is starting" },
        { "an unanswering primary that holds the key with time left is left alone", Leading(Unanswering()), typeof(NoAction), "PostgreSQL is starting" },
        { "a standby stuck on an older timeline than its leader for over a ttl: rewind", Following(Replica(timeline: 1) with { BehindLeaderTimelineSince = Views.T0 - 11 * S }), typeof(RejoinLeader), "my WAL diverged" },
        { "a standby briefly on an older timeline (after a failover): wait", Following(Replica(timeline: 1) with { BehindLeaderTimelineSince = Views.T0 - 2 * S }), typeof(NoAction), "a secondary" },
        { "replay paused below the primary's settings: restart", Following(Replica() with { HotStandbyShortfall = ["max_connections 40 → 100"] }), typeof(RestartStandby), "max_connections 40 → 100" },
        { "replay paused below the primary's settings, no leader: restart before racing", NoLeader(Replica(upstream: null) with { HotStandbyShortfall = ["max_connections 40 → 100"] }), typeof(RestartStandby), "before the race" },
        { "my lease ran out while I was frozen, I hold the key", Leading().LeaseEndsIn(-1 * S), typeof(DemoteFenced), "lease has run out" },
        { "someone else holds the key while I run as primary", Following(Primary()), typeof(DemoteFenced), "leader holds the leader key" },
        { "fencing wins over a running operation", Following(Primary()).Running(OperationKind.Promote), typeof(DemoteFenced), "holds the leader key" },
        { "a running operation makes the cycle wait", Following().Running(OperationKind.BaseBackup), typeof(NoAction), "creating a replica in progress" },

        // Bootstrap
        { "never initialised, empty data directory", Fresh(), typeof(InitializeCluster), "never initialised" },
        { "never initialised, but I may not lead", Fresh().Tagged(noFailover: true), typeof(NoAction), "nofailover" },
        { "another member is bootstrapping", Fresh(initialize: ""), typeof(NoAction), "waiting for the leader to bootstrap" },
        { "initialised with a running leader: clone", Fresh(initialize: "7000000000000000001", leader: "leader"), typeof(CloneFromMember), "replica from the leader leader" },
        { "my data belongs to another cluster", Following().Sysid("6999999999999999999"), typeof(Halt), "system ID mismatch" },

        // Leading
        { "I hold the key and still replay WAL: promote", Leading(Replica()), typeof(Promote), "promoting" },
        { "I hold the key and run as primary", Leading(), typeof(NoAction), "leader with the lock" },
        { "my PostgreSQL crashed a moment ago, I hold the key", Leading(Down(T0 - (2 * S))), typeof(StartAsPrimary), "starting PostgreSQL as primary" },
        { "my PostgreSQL has not come back within primary_start_timeout", Leading(Down(T0 - (11 * S))).Standby("b"), typeof(HandOver), "primary_start_timeout" },
        { "primary_start_timeout passed but no member could take over", Leading(Down(T0 - (11 * S))), typeof(NoAction), "no member can take over" },
        { "primary_start_timeout passed and the only standby is tagged nofailover", Leading(Down(T0 - (11 * S))).Standby("b", noFailover: true), typeof(NoAction), "no member can take over" },
        { "my PostgreSQL is starting, within primary_start_timeout", Leading(Primary() with { RunState = PostgresRunState.Starting, InRecovery = null, StartingSince = T0 - (5 * S) }), typeof(NoAction), "PostgreSQL is starting" },
        { "my PostgreSQL has been starting for longer than primary_start_timeout", Leading(Primary() with { RunState = PostgresRunState.Starting, InRecovery = null, StartingSince = T0 - (11 * S) }).Standby("b"), typeof(HandOver), "starting for longer than primary_start_timeout" },
        { "the key has my name on an older lease", Leading() with { Lease = new LeaseView(MyLease + 1, T0 + (9 * S)) }, typeof(ReattachLeaderKey), "re-attaching" },
        { "paused leader does nothing", Leading().Paused(), typeof(NoAction), "PAUSE" },
        { "paused leader hands over to a named candidate (manual failover in pause)", Leading().Paused().Request("me", "b").Standby("b"), typeof(HandOver), "handing over to b" },
        { "paused leader refuses a switchover without a candidate", Leading().Paused().Request("me", null), typeof(ClearFailoverRequest), "needs a candidate" },
        { "paused: the named candidate races", NoLeader().Paused().Request("old", "me"), typeof(AcquireLeaderKey), "switchover in pause" },
        { "paused: another member does not race for the named candidate", NoLeader().Paused().Request("old", "b"), typeof(NoAction), "paused" },
        { "paused: a scheduled request does not make the candidate race", NoLeader().Paused().Request("old", "me", T0 - S), typeof(NoAction), "paused" },
        { "paused follower re-points a running standby at the new leader", Following(Replica(upstream: "old")).Paused(), typeof(FollowLeader), "PAUSE: following the new leader" },
        { "paused follower leaves a stopped PostgreSQL alone", Following(Down()).Paused(), typeof(NoAction), "PAUSE" },

        // Switchover, leader side
        { "switchover to a named candidate", Leading().Request("me", "b").Standby("b"), typeof(HandOver), "handing over to b" },
        { "switchover to a candidate tagged nofailover is cancelled, not carried out", Leading().Request("me", "b").Standby("b", noFailover: true), typeof(ClearFailoverRequest), "b is tagged nofailover" },
        { "switchover to a candidate too far behind is cancelled", Leading(Primary(lsn: 5_000_000)).Request("me", "b").Standby("b", lsn: 1000), typeof(ClearFailoverRequest), "over maximum_lag_on_failover" },
        { "switchover to a member that is gone is cancelled", Leading().Request("me", "gone"), typeof(ClearFailoverRequest), "gone is not a member" },
        { "switchover to any standby when none can take over is cancelled", Leading().Request("me", null).Standby("b", noFailover: true), typeof(ClearFailoverRequest), "no standby can take over" },
        { "quorum: switchover to a standby outside the sync key is cancelled", (Leading() with { Settings = HaSettings.Defaults with { SynchronousMode = SynchronousMode.Quorum } }).Sync("me", 1, "c").Standby("b").Standby("c").Request("me", "b"), typeof(ClearFailoverRequest), "b is not a synchronous standby" },
        { "switchover to any standby", Leading().Request("me", null).Standby("b"), typeof(HandOver), "best standby" },
        { "switchover scheduled in the future", Leading().Request("me", "b", T0 + (60 * S)), typeof(NoAction), "scheduled" },
        { "scheduled switchover whose time has come", Leading().Request("me", "b", T0 - S).Standby("b"), typeof(HandOver), "handing over to b" },
        { "scheduled switchover long past", Leading().Request("me", "b", T0 - (60 * S)), typeof(ClearFailoverRequest), "stale" },
        { "switchover naming another leader", Leading().Request("x", "b"), typeof(ClearFailoverRequest), "names x" },
        { "failover to myself while I lead", Leading().Request(null, "me"), typeof(ClearFailoverRequest), "already the leader" },

        // Following
        { "replica already streaming from the leader", Following(), typeof(NoAction), "following the leader leader" },
        { "replica streaming from an old leader", Following(Replica(upstream: "old")), typeof(FollowLeader), "following the new leader" },
        { "replica stopped", Following(Down()), typeof(FollowLeader), "starting as a replica" },
        { "paused replica following the leader does nothing", Following(Replica()).Paused(), typeof(NoAction), "PAUSE" },

        // The race
        { "no leader and I am the most advanced", NoLeader().Peer("b", 900), typeof(AcquireLeaderKey), "healthiest" },
        { "no leader and a peer is ahead", NoLeader().Peer("b", 1100), typeof(NoAction), "b is ahead" },
        { "no leader but a peer still runs as primary", NoLeader().Peer("b", 0, inRecovery: false), typeof(NoAction), "still running as primary" },
        { "no leader, equal positions, the peer has a higher priority", NoLeader().Peer("b", 1000, priority: 2), typeof(NoAction), "higher failover_priority" },
        { "no leader, equal positions, equal priority: both race", NoLeader().Peer("b", 1000), typeof(AcquireLeaderKey), "healthiest" },
        { "no leader and I lag beyond maximum_lag_on_failover", NoLeader(Replica(lsn: 1000), clusterLsn: 3_000_000), typeof(NoAction), "maximum_lag_on_failover" },
        { "no leader and I am tagged nofailover", NoLeader().Tagged(noFailover: true), typeof(NoAction), "nofailover" },
        { "no leader and failover_priority 0", NoLeader().Tagged(priority: 0), typeof(NoAction), "nofailover" },
        { "no leader while paused", NoLeader().Paused(), typeof(NoAction), "paused" },
        { "no leader, I still run as primary: take the key back", NoLeader(Primary()), typeof(AcquireLeaderKey), "still running as primary" },
        { "no leader, I run as primary on an old timeline", NoLeader(Primary(timeline: 1)).Timeline(2), typeof(DemoteFenced), "group is on timeline 2" },
        { "quorum: the only other voter confirms I am not behind", NoLeader().Sync("old", 1, "me", "b").Peer("b", 900), typeof(AcquireLeaderKey), "healthiest" },
        { "quorum: the other voter does not answer", NoLeader().Sync("old", 1, "me", "b").SilentPeer("b"), typeof(NoAction), "quorum votes" },
        { "quorum: a sync key with no voters yet does not block the race", NoLeader().Sync("old", 0).Peer("b", 900), typeof(AcquireLeaderKey), "healthiest" },
        { "quorum: the former leader being ahead is ignored", NoLeader().Sync("old", 1, "me", "b").Peer("old", 5000).Peer("b", 1000), typeof(AcquireLeaderKey), "healthiest" },
        { "sync mode on and I am not a synchronous standby", (NoLeader() with { Settings = HaSettings.Defaults with { SynchronousMode = SynchronousMode.On } }).Sync("old", 0, "b"), typeof(NoAction), "not a synchronous standby" },
        { "manual failover to me", NoLeader().Request(null, "me").Peer("b", 5000), typeof(AcquireLeaderKey), "requested candidate" },
        { "no leader and my PostgreSQL is down (the whole group was stopped): start read-only to race", NoLeader(Down()), typeof(StartReadOnly), "starting it read-only" },
        { "no leader and my PostgreSQL crashed (a one-member group's agent restarted)", NoLeader(Down(T0 - (30 * S))), typeof(StartReadOnly), "starting it read-only" },
        { "no leader, PostgreSQL down, paused: nothing automatic", NoLeader(Down()).Paused(), typeof(NoAction), "PAUSE" },
        { "no leader and my PostgreSQL is down because I just handed over", NoLeader(Down()).Request("me", "b"), typeof(NoAction), "handed the leader role over" },
        { "no leader, PostgreSQL down, a request moving another member away", NoLeader(Down()).Request("x", "b"), typeof(StartReadOnly), "read-only" },
        { "no leader, PostgreSQL down but tagged nofailover: still start, to follow later", NoLeader(Down()).Tagged(noFailover: true), typeof(StartReadOnly), "read-only" },
        { "no leader, my read-only PostgreSQL is still starting", NoLeader(Replica(upstream: null) with { RunState = PostgresRunState.Starting }), typeof(NoAction), "still starting" },
        { "no leader, read-only and the most advanced: take the key", NoLeader(Replica(lsn: 5000, upstream: null)).Peer("b", 4000).Peer("c", 0), typeof(AcquireLeaderKey), "healthiest" },
        { "no leader, read-only but another member replayed more", NoLeader(Replica(lsn: 4000, upstream: null)).Peer("b", 5000), typeof(NoAction), "b is ahead of me" },
        { "a scheduled switchover whose time has come: the old leader steps back", NoLeader(Replica(lsn: 5000)).Request("me", null, T0 - S), typeof(NoAction), "switched away from" },
        { "a scheduled switchover not yet due does not steer the race", NoLeader().Request("x", "b", T0 + (60 * S)), typeof(AcquireLeaderKey), "healthiest" },
        { "manual failover to a healthy other member", NoLeader().Request(null, "b").Peer("b", 900), typeof(NoAction), "b is the requested candidate" },
        { "manual failover to a member that is gone: the best one goes, lag ignored", NoLeader(Replica(lsn: 1), clusterLsn: 9_000_000).Request(null, "gone"), typeof(AcquireLeaderKey), "healthiest" },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void Decide_follows_the_rule_table(string situation, GroupView view, Type expected, string why)
    {
        var decision = Decider.Decide(view);
        decision.ShouldBeOfType(expected, situation);
        decision.Reason.ShouldContain(why, Case.Insensitive, situation);
    }
}
