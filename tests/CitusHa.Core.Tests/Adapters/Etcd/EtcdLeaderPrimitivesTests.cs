using CitusHa.Core.Adapters.Etcd;
using CitusHa.Core.Configuration;
using CitusHa.Core.Dcs;
using CitusHa.Core.Errors;
using CitusHa.Core.Tests.Fixtures;
using CitusHa.Testing;
using Etcdserverpb;

namespace CitusHa.Core.Tests.Adapters.Etcd;

/// <summary>The transaction shapes, leases and watches leader election is built from, on a real etcd.</summary>
[Collection(EtcdCollectionDefinition.Name)]
public sealed class EtcdLeaderPrimitivesTests(EtcdFixture etcd) : IAsyncLifetime
{
    private EtcdDcsStore store = null!;
    private readonly string ns = EtcdFixture.UniqueNamespace();

    public Task InitializeAsync()
    {
        store = EtcdDcsStore.Open(DcsSettings.Create([etcd.Server.Endpoint], null, null, null, TimeSpan.FromSeconds(5)));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await store.DisposeAsync();

    private async Task<DcsKeyValue?> ReadAsync(string key) =>
        (await store.ReadPrefixAsync(key, TestTimeouts.Default)).Items.SingleOrDefault(i => i.Key == key);

    [Fact]
    public async Task Only_the_first_create_wins_the_race()
    {
        var ct = TestTimeouts.Default;
        var key = $"{ns}/demo/0/leader";
        (await store.CreateAsync(key, "a", 0, ct)).Succeeded.ShouldBeTrue();
        (await store.CreateAsync(key, "b", 0, ct)).Succeeded.ShouldBeFalse();
        (await ReadAsync(key))!.Value.ShouldBe("a");
    }

    [Fact]
    public async Task A_compare_and_swap_on_mod_revision_fails_once_someone_else_wrote()
    {
        var ct = TestTimeouts.Default;
        var key = $"{ns}/demo/0/config";
        (await store.PutIfModRevisionAsync(key, "v1", 0, 0, ct)).Succeeded.ShouldBeTrue("0 means: only if absent");
        (await store.PutIfModRevisionAsync(key, "again", 0, 0, ct)).Succeeded.ShouldBeFalse();
        var read = (await ReadAsync(key))!;
        (await store.PutIfModRevisionAsync(key, "v2", read.ModRevision, 0, ct)).Succeeded.ShouldBeTrue();
        (await store.PutIfModRevisionAsync(key, "v3", read.ModRevision, 0, ct)).Succeeded.ShouldBeFalse("the revision read before v2 is stale");
        (await ReadAsync(key))!.Value.ShouldBe("v2");
    }

    [Fact]
    public async Task Reattaching_the_leader_key_works_when_it_is_mine_or_gone_and_never_takes_it_from_another()
    {
        var ct = TestTimeouts.Default;
        var key = $"{ns}/demo/0/leader";
        var lease = await store.GrantLeaseAsync(TimeSpan.FromSeconds(30), ct);
        (await store.PutIfValueOrAbsentAsync(key, "me", "me", lease, ct)).Succeeded.ShouldBeTrue("absent");
        (await ReadAsync(key))!.Lease.ShouldBe(lease);

        var newLease = await store.GrantLeaseAsync(TimeSpan.FromSeconds(30), ct);
        (await store.PutIfValueOrAbsentAsync(key, "me", "me", newLease, ct)).Succeeded.ShouldBeTrue("mine");
        (await ReadAsync(key))!.Lease.ShouldBe(newLease);

        await store.PutAsync(key, "other", 0, ct);
        (await store.PutIfValueOrAbsentAsync(key, "me", "me", newLease, ct)).Succeeded.ShouldBeFalse("someone else's");
        (await ReadAsync(key))!.Value.ShouldBe("other");
    }

    [Fact]
    public async Task Releasing_deletes_the_key_only_when_it_holds_my_name()
    {
        var ct = TestTimeouts.Default;
        var key = $"{ns}/demo/0/leader";
        await store.PutAsync(key, "other", 0, ct);
        (await store.DeleteIfValueAsync(key, "me", ct)).Succeeded.ShouldBeFalse();
        (await ReadAsync(key)).ShouldNotBeNull();
        await store.PutAsync(key, "me", 0, ct);
        (await store.DeleteIfValueAsync(key, "me", ct)).Succeeded.ShouldBeTrue();
        (await ReadAsync(key)).ShouldBeNull();

        await store.PutAsync(key, "x", 0, ct);
        var read = (await ReadAsync(key))!;
        (await store.DeleteIfModRevisionAsync(key, read.ModRevision + 100, ct)).Succeeded.ShouldBeFalse();
        (await store.DeleteIfModRevisionAsync(key, read.ModRevision, ct)).Succeeded.ShouldBeTrue();
    }

    [Fact]
    public async Task A_kept_alive_lease_reports_its_ttl_and_a_revoked_one_takes_its_keys_with_it()
    {
        var ct = TestTimeouts.Default;
        var key = $"{ns}/demo/0/members/a";
        var lease = await store.GrantLeaseAsync(TimeSpan.FromSeconds(10), ct);
        await store.PutAsync(key, "{}", lease, ct);
        var ttl = await store.KeepAliveAsync(lease, ct);
        ttl.ShouldNotBeNull();
        ttl.Value.ShouldBeInRange(TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(10));

        await store.RevokeLeaseAsync(lease, ct);
        (await ReadAsync(key)).ShouldBeNull();
        (await store.KeepAliveAsync(lease, ct)).ShouldBeNull("a revoked lease cannot be kept alive");
        await store.RevokeLeaseAsync(lease, ct); // revoking twice is harmless
    }

    [Fact]
    public async Task A_watch_sees_puts_and_the_deletion_when_a_lease_expires()
    {
        var ct = TestTimeouts.Default;
        var prefix = $"{ns}/demo/0/";
        var start = (await store.ReadPrefixAsync(prefix, ct)).Revision;
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var events = new List<DcsWatchEvent>();
        var seenDeletion = new TaskCompletionSource();
        var watcher = Task.Run(async () =>
        {
            await foreach (var e in store.WatchPrefixAsync(prefix, start, watching.Token))
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

        var lease = await store.GrantLeaseAsync(TimeSpan.FromSeconds(2), ct);
        await store.PutAsync($"{prefix}leader", "a", lease, ct);
        await store.PutAsync($"{ns}/elsewhere", "not watched", 0, ct);
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
    public async Task A_watch_from_a_compacted_revision_says_so_instead_of_missing_events()
    {
        var ct = TestTimeouts.Default;
        var prefix = $"{ns}/compacted/";
        var old = await store.PutAsync($"{prefix}a", "1", 0, ct);
        var newer = await store.PutAsync($"{prefix}a", "2", 0, ct);
        using (var raw = etcd.Server.CreateClient())
        {
            await raw.CompactAsync(new CompactionRequest { Revision = newer, Physical = true }, cancellationToken: ct);
        }

        var error = await Should.ThrowAsync<CitusHaException>(async () =>
        {
            await foreach (var _ in store.WatchPrefixAsync(prefix, old - 1, ct))
            {
            }
        });
        error.ErrorId.ShouldBe(ErrorIds.WatchCompacted);
        error.Kind.ShouldBe(CitusErrorKind.Conflict);
    }
}
