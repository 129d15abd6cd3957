using CitusHa.Core.Dcs;
using CitusHa.Core.Errors;
using CitusHa.Testing;

namespace CitusHa.Core.Tests.Dcs;

/// <summary>
/// What the agent relies on from the DCS: the transaction shapes, leases and watches leader election
/// is built from. Runs against a real etcd (<see cref="Adapters.Etcd.EtcdLeaderPrimitivesTests"/>)
/// and against <see cref="InMemoryDcsStore"/>, so a unit test on the in-memory store means what it
/// would mean on etcd.
/// </summary>
public abstract class DcsStoreContract : IAsyncLifetime
{
    protected IDcsStore Store { get; private set; } = null!;

    protected string Ns { get; } = $"/t{Guid.NewGuid():N}";

    protected abstract IDcsStore CreateStore();

    public Task InitializeAsync()
    {
        Store = CreateStore();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Store.DisposeAsync();

    private async Task<DcsKeyValue?> ReadAsync(string key) =>
        (await Store.ReadPrefixAsync(key, TestTimeouts.Default)).Items.SingleOrDefault(i => i.Key == key);

    [Fact]
    public async Task Only_the_first_create_wins_the_race()
    {
        var ct = TestTimeouts.Default;
        var key = $"{Ns}/demo/0/leader";
        (await Store.CreateAsync(key, "a", 0, ct)).Succeeded.ShouldBeTrue();
        (await Store.CreateAsync(key, "b", 0, ct)).Succeeded.ShouldBeFalse();
        (await ReadAsync(key))!.Value.ShouldBe("a");
    }

    [Fact]
    public async Task A_compare_and_swap_on_mod_revision_fails_once_someone_else_wrote()
    {
        var ct = TestTimeouts.Default;
        var key = $"{Ns}/demo/0/config";
        (await Store.PutIfModRevisionAsync(key, "v1", 0, 0, ct)).Succeeded.ShouldBeTrue("0 means: only if absent");
        (await Store.PutIfModRevisionAsync(key, "again", 0, 0, ct)).Succeeded.ShouldBeFalse();
        var read = (await ReadAsync(key))!;
        (await Store.PutIfModRevisionAsync(key, "v2", read.ModRevision, 0, ct)).Succeeded.ShouldBeTrue();
        (await Store.PutIfModRevisionAsync(key, "v3", read.ModRevision, 0, ct)).Succeeded.ShouldBeFalse("the revision read before v2 is stale");
        (await ReadAsync(key))!.Value.ShouldBe("v2");
    }

    [Fact]
    public async Task Reattaching_the_leader_key_works_when_it_is_mine_or_gone_and_never_takes_it_from_another()
    {
        var ct = TestTimeouts.Default;
        var key = $"{Ns}/demo/0/leader";
        var lease = await Store.GrantLeaseAsync(TimeSpan.FromSeconds(30), ct);
        (await Store.PutIfValueOrAbsentAsync(key, "me", "me", lease, ct)).Succeeded.ShouldBeTrue("absent");
        (await ReadAsync(key))!.Lease.ShouldBe(lease);

        var newLease = await Store.GrantLeaseAsync(TimeSpan.FromSeconds(30), ct);
        (await Store.PutIfValueOrAbsentAsync(key, "me", "me", newLease, ct)).Succeeded.ShouldBeTrue("mine");
        (await ReadAsync(key))!.Lease.ShouldBe(newLease);

        await Store.PutAsync(key, "other", 0, ct);
        (await Store.PutIfValueOrAbsentAsync(key, "me", "me", newLease, ct)).Succeeded.ShouldBeFalse("someone else's");
        (await ReadAsync(key))!.Value.ShouldBe("other");
    }

    [Fact]
    public async Task Releasing_deletes_the_key_only_when_it_holds_my_name()
    {
        var ct = TestTimeouts.Default;
        var key = $"{Ns}/demo/0/leader";
        await Store.PutAsync(key, "other", 0, ct);
        (await Store.DeleteIfValueAsync(key, "me", ct)).Succeeded.ShouldBeFalse();
        (await ReadAsync(key)).ShouldNotBeNull();
        await Store.PutAsync(key, "me", 0, ct);
        (await Store.DeleteIfValueAsync(key, "me", ct)).Succeeded.ShouldBeTrue();
        (await ReadAsync(key)).ShouldBeNull();

        await Store.PutAsync(key, "x", 0, ct);
        var read = (await ReadAsync(key))!;
        (await Store.DeleteIfModRevisionAsync(key, read.ModRevision + 100, ct)).Succeeded.ShouldBeFalse();
        (await Store.DeleteIfModRevisionAsync(key, read.ModRevision, ct)).Succeeded.ShouldBeTrue();
    }

    [Fact]
    public async Task A_kept_alive_lease_reports_its_ttl_and_a_revoked_one_takes_its_keys_with_it()
    {
        var ct = TestTimeouts.Default;
        var key = $"{Ns}/demo/0/members/a";
        var lease = await Store.GrantLeaseAsync(TimeSpan.FromSeconds(10), ct);
        await Store.PutAsync(key, "{}", lease, ct);
        var ttl = await Store.KeepAliveAsync(lease, ct);
        ttl.ShouldNotBeNull();
        ttl.Value.ShouldBeInRange(TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(10));

        await Store.RevokeLeaseAsync(lease, ct);
        (await ReadAsync(key)).ShouldBeNull();
        (await Store.KeepAliveAsync(lease, ct)).ShouldBeNull("a revoked lease cannot be kept alive");
        await Store.RevokeLeaseAsync(lease, ct); // revoking twice is harmless
    }

    [Fact]
    public async Task A_watch_sees_puts_and_the_deletion_when_a_lease_expires()
    {
        var ct = TestTimeouts.Default;
        var prefix = $"{Ns}/demo/0/";
        var start = (await Store.ReadPrefixAsync(prefix, ct)).Revision;
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var events = new List<DcsWatchEvent>();
        var seenDeletion = new TaskCompletionSource();
        var watcher = Task.Run(async () =>
        {
            await foreach (var e in Store.WatchPrefixAsync(prefix, start, watching.Token))
            {
                lock (events)
                {
                    events.Add(e);
                }

                if (e.Kind == DcsWatchEventKind.Delete)
                {
                    seenDeletion.TrySetResult();
                }
            }
        }, ct);

        var lease = await Store.GrantLeaseAsync(TimeSpan.FromSeconds(2), ct);
        await Store.PutAsync($"{prefix}leader", "a", lease, ct);
        await Store.PutAsync($"{Ns}/elsewhere", "not watched", 0, ct);
        var granted = DateTime.UtcNow;

        await seenDeletion.Task.WaitAsync(TimeSpan.FromSeconds(15), ct);
        var expiry = DateTime.UtcNow - granted;
        await watching.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(() => watcher);

        lock (events)
        {
            events.Select(e => (e.Kind, e.Key)).ShouldBe([(DcsWatchEventKind.Put, $"{prefix}leader"), (DcsWatchEventKind.Delete, $"{prefix}leader")]);
            events[0].Lease.ShouldBe(lease);
        }

        expiry.ShouldBeGreaterThan(TimeSpan.FromSeconds(1.5), "the key lives as long as its lease");
    }

    [Fact]
    public async Task Create_and_mod_revisions_follow_the_store_revision()
    {
        var ct = TestTimeouts.Default;
        var key = $"{Ns}/demo/0/config";
        var first = await Store.PutAsync(key, "1", 0, ct);
        var second = await Store.PutAsync(key, "2", 0, ct);
        second.ShouldBeGreaterThan(first);
        var read = (await ReadAsync(key))!;
        read.CreateRevision.ShouldBe(first);
        read.ModRevision.ShouldBe(second);
        (await Store.ReadPrefixAsync(key, ct)).Revision.ShouldBeGreaterThanOrEqualTo(second);
    }

    [Fact]
    public async Task A_write_on_a_lease_that_is_gone_fails_and_writes_nothing()
    {
        var ct = TestTimeouts.Default;
        var key = $"{Ns}/demo/0/leader";
        var lease = await Store.GrantLeaseAsync(TimeSpan.FromSeconds(30), ct);
        await Store.RevokeLeaseAsync(lease, ct);
        await Should.ThrowAsync<CitusHaException>(() => Store.CreateAsync(key, "me", lease, ct));
        (await ReadAsync(key)).ShouldBeNull();
    }

    [Fact]
    public async Task A_watch_replays_the_changes_after_the_revision_it_starts_from()
    {
        var ct = TestTimeouts.Default;
        var prefix = $"{Ns}/replay/";
        var before = await Store.PutAsync($"{prefix}a", "1", 0, ct);
        await Store.PutAsync($"{prefix}b", "2", 0, ct);
        await Store.DeleteIfValueAsync($"{prefix}a", "1", ct);
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var seen = new List<(DcsWatchEventKind, string)>();
        await foreach (var e in Store.WatchPrefixAsync(prefix, before, watching.Token))
        {
            seen.Add((e.Kind, e.Key));
            if (seen.Count == 2)
            {
                break;
            }
        }

        seen.ShouldBe([(DcsWatchEventKind.Put, $"{prefix}b"), (DcsWatchEventKind.Delete, $"{prefix}a")]);
    }
}
