using CitusHa.Core.Ha;

namespace CitusHa.Core.Tests.Ha;

/// <summary>
/// Invariants over many generated groups (seeded, so a failure reproduces): whatever the positions,
/// tags and answers, the rules never let a member that is behind a reachable peer take the key, and
/// never promote without the key.
/// </summary>
public sealed class DeciderPropertyTests
{
    private static readonly DateTimeOffset T0 = Views.T0;

    private static GroupView RandomView(Random random, string me, IReadOnlyDictionary<string, (long Lsn, bool Reachable, int Priority)> members, string? leader, SyncState? sync)
    {
        var (lsn, _, priority) = members[me];
        var peers = members.Where(m => m.Key != me).ToDictionary(
            m => m.Key,
            m => m.Value.Reachable ? new PeerStatus(true, m.Value.Lsn, 1, false, m.Value.Priority) : (PeerStatus?)null);
        var holds = leader == me;
        return new GroupView
        {
            Now = T0,
            Me = new MemberIdentity(me, FailoverPriority: priority),
            Dcs = new DcsView
            {
                Leader = leader is null ? null : new LeaderKey(leader, holds ? 1 : 2, 5),
                Initialize = "7000000000000000001",
                ClusterLsn = members.Values.Max(m => m.Lsn),
                Sync = sync,
                Members = members.Keys.Select(n => new MemberInfo(n, $"postgres://{n}:5432/postgres", $"http://{n}:8008/patroni", "running", "replica", members[n].Lsn, 1)).ToList(),
            },
            Lease = new LeaseView(1, T0 + TimeSpan.FromSeconds(random.Next(0, 11))),
            Postgres = Views.Replica(lsn: lsn, upstream: leader),
            Peers = peers,
            Settings = HaSettings.Defaults with { MaximumLagOnFailover = random.Next(0, 2) == 0 ? 0 : 1 << 20 },
        };
    }

    [Fact]
    public void No_member_takes_the_key_while_a_reachable_peer_has_more_WAL_and_none_promotes_without_it()
    {
        var random = new Random(20261123);
        for (var i = 0; i < 5000; i++)
        {
            var names = new[] { "a", "b", "c" };
            var members = names.ToDictionary(n => n, _ => (Lsn: (long)random.Next(0, 5) * 1000, Reachable: random.Next(0, 4) > 0, Priority: random.Next(0, 3)));
            var leader = random.Next(0, 3) == 0 ? names[random.Next(0, 3)] : null;
            var sync = random.Next(0, 2) == 0 ? new SyncState("old", ["a", "b", "c"], 1, 3) : null;
            foreach (var me in names)
            {
                var view = RandomView(random, me, members, leader, sync);
                var decision = Decider.Decide(view);
                if (decision is AcquireLeaderKey)
                {
                    leader.ShouldBeNull($"case {i}: {me} raced although {leader} leads");
                    members.Where(m => m.Key != me && m.Value.Reachable && m.Value.Lsn > members[me].Lsn)
                        .ShouldBeEmpty($"case {i}: {me} at {members[me].Lsn} took the key behind a reachable peer");
                }

                if (decision is Promote)
                {
                    view.HoldsLeaderKey.ShouldBeTrue($"case {i}: {me} promoted without the key");
                }
            }
        }
    }

    [Fact]
    public void In_quorum_mode_a_member_never_takes_the_key_without_enough_confirming_voters()
    {
        var random = new Random(7);
        for (var i = 0; i < 5000; i++)
        {
            var members = new Dictionary<string, (long, bool, int)>
            {
                ["a"] = ((long)random.Next(1, 4) * 1000, random.Next(0, 2) == 0, 1),
                ["b"] = ((long)random.Next(1, 4) * 1000, random.Next(0, 2) == 0, 1),
                ["c"] = ((long)random.Next(1, 4) * 1000, random.Next(0, 2) == 0, 1),
            };
            var quorum = random.Next(1, 3);
            var sync = new SyncState("old", ["a", "b", "c"], quorum, 3);
            foreach (var me in members.Keys)
            {
                var view = RandomView(random, me, members, leader: null, sync);
                if (Decider.Decide(view) is AcquireLeaderKey)
                {
                    var confirming = members.Count(m => m.Key != me && m.Value.Item2 && m.Value.Item1 <= members[me].Item1);
                    confirming.ShouldBeGreaterThanOrEqualTo(quorum, $"case {i}: {me} took the key with {confirming} of {quorum} votes");
                }
            }
        }
    }
}
