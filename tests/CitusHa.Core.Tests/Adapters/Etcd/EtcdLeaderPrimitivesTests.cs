using CitusHa.Core.Adapters.Etcd;
using CitusHa.Core.Configuration;
using CitusHa.Core.Dcs;
using CitusHa.Core.Errors;
using CitusHa.Core.Tests.Dcs;
using CitusHa.Core.Tests.Fixtures;
using CitusHa.Testing;
using Etcdserverpb;

namespace CitusHa.Core.Tests.Adapters.Etcd;

/// <summary>The DCS contract on a real etcd, plus what only etcd does (compaction).</summary>
[Collection(EtcdCollectionDefinition.Name)]
public sealed class EtcdLeaderPrimitivesTests(EtcdFixture etcd) : DcsStoreContract
{
    protected override IDcsStore CreateStore() =>
        EtcdDcsStore.Open(DcsSettings.Create([etcd.Server.Endpoint], null, null, null, TimeSpan.FromSeconds(5)));

    [Fact]
    public async Task A_watch_from_a_compacted_revision_says_so_instead_of_missing_events()
    {
        var ct = TestTimeouts.Default;
        var prefix = $"{Ns}/compacted/";
        var old = await Store.PutAsync($"{prefix}a", "1", 0, ct);
        var newer = await Store.PutAsync($"{prefix}a", "2", 0, ct);
        using (var raw = etcd.Server.CreateClient())
        {
            await raw.CompactAsync(new CompactionRequest { Revision = newer, Physical = true }, cancellationToken: ct);
        }

        var error = await Should.ThrowAsync<CitusHaException>(async () =>
        {
            await foreach (var _ in Store.WatchPrefixAsync(prefix, old - 1, ct))
            {
            }
        });
        error.ErrorId.ShouldBe(ErrorIds.WatchCompacted);
        error.Kind.ShouldBe(CitusErrorKind.Conflict);
    }
}
