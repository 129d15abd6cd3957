using CitusHa.Core.Adapters.Etcd;
using CitusHa.Core.Configuration;
using CitusHa.Core.Errors;
using CitusHa.Core.Tests.Fixtures;
using CitusHa.Testing;
using CitusHa.Testing.Servers;
using Etcdserverpb;
using Google.Protobuf;

namespace CitusHa.Core.Tests.Adapters.Etcd;

[Collection(EtcdCollectionDefinition.Name)]
public sealed class EtcdDcsStoreTests(EtcdFixture etcd)
{
    private static DcsSettings Settings(string endpoint, TimeSpan? timeout = null, DcsCredentials? credentials = null) =>
        DcsSettings.Create([endpoint], null, null, credentials, timeout);

    [Fact]
    public async Task A_prefix_read_returns_exactly_the_keys_another_client_wrote_with_their_revisions_and_leases()
    {
        var ct = TestTimeouts.Default;
        var ns = EtcdFixture.UniqueNamespace();
        using var raw = etcd.Server.CreateClient();
        await raw.PutAsync($"{ns}/demo/0/leader", "coord1", cancellationToken: ct);
        var lease = await raw.LeaseGrantAsync(new LeaseGrantRequest { TTL = 30 }, cancellationToken: ct);
        await raw.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8($"{ns}/demo/0/members/coord1"), Value = ByteString.CopyFromUtf8("{}"), Lease = lease.ID }, cancellationToken: ct);
        await raw.PutAsync($"{ns}x/not-mine", "other prefix", cancellationToken: ct);

        await using var store = EtcdDcsStore.Open(Settings(etcd.Server.Endpoint));
        var snapshot = await store.ReadPrefixAsync($"{ns}/", ct);

        snapshot.Items.Select(i => i.Key).ShouldBe([$"{ns}/demo/0/leader", $"{ns}/demo/0/members/coord1"], ignoreOrder: true);
        snapshot.Items.Single(i => i.Key.EndsWith("members/coord1", StringComparison.Ordinal)).Lease.ShouldBe(lease.ID);
        snapshot.Items.Single(i => i.Key.EndsWith("leader", StringComparison.Ordinal)).Value.ShouldBe("coord1");
        snapshot.Revision.ShouldBeGreaterThanOrEqualTo(snapshot.Items.Max(i => i.ModRevision));
    }

    [Fact]
    public async Task A_put_is_visible_to_another_client_and_returns_the_new_revision()
    {
        var ct = TestTimeouts.Default;
        var key = $"{EtcdFixture.UniqueNamespace()}/demo/0/config";
        await using var store = EtcdDcsStore.Open(Settings(etcd.Server.Endpoint));
        var revision = await store.PutAsync(key, """{"ttl":10}""", 0, ct);

        using var raw = etcd.Server.CreateClient();
        var read = await raw.GetAsync(key, cancellationToken: ct);
        read.Kvs.Single().Value.ToStringUtf8().ShouldBe("""{"ttl":10}""");
        read.Kvs.Single().ModRevision.ShouldBe(revision);
    }

    [Fact]
    public async Task Nothing_listening_gives_EtcdUnavailable_naming_the_endpoint_without_waiting_for_the_deadline()
    {
        using var refusing = LoopbackPorts.Refusing();
        var port = refusing.Port;
        await using var store = EtcdDcsStore.Open(Settings($"127.0.0.1:{port}", TimeSpan.FromSeconds(30)));
        var error = await Should.ThrowAsync<CitusHaException>(() => store.ReadPrefixAsync("/service/", TestTimeouts.Default));
        error.Kind.ShouldBe(CitusErrorKind.Unavailable);
        error.ErrorId.ShouldBe(ErrorIds.EtcdUnavailable, "a refused connection is reported as such, not as a timeout after retries");
        error.Message.ShouldContain($"127.0.0.1:{port}");
    }

    [Fact]
    public async Task One_dead_endpoint_among_several_does_not_fail_the_read()
    {
        var ct = TestTimeouts.Default;
        var ns = EtcdFixture.UniqueNamespace();
        using (var raw = etcd.Server.CreateClient())
        {
            await raw.PutAsync($"{ns}/k", "v", cancellationToken: ct);
        }

        using var refusing = LoopbackPorts.Refusing();
        var dead = refusing.Endpoint;
        await using var store = EtcdDcsStore.Open(DcsSettings.Create([dead, etcd.Server.Endpoint], null, null, null, TimeSpan.FromSeconds(5)));
        for (var i = 0; i < 5; i++)
        {
            (await store.ReadPrefixAsync($"{ns}/", ct)).Items.ShouldHaveSingleItem().Value.ShouldBe("v");
        }
    }

    [Fact]
    public async Task A_frozen_etcd_gives_EtcdTimeout_after_the_configured_deadline()
    {
        var ct = TestTimeouts.Default;
        await using var frozen = await EtcdServer.StartAsync(cancellationToken: ct);
        await using var store = EtcdDcsStore.Open(Settings(frozen.Endpoint, TimeSpan.FromSeconds(1)));
        await store.ReadPrefixAsync("/warm-up/", ct);
        await Signals.SendAsync(frozen.Pid, "STOP", ct);
        try
        {
            var started = DateTime.UtcNow;
            var error = await Should.ThrowAsync<CitusHaException>(() => store.ReadPrefixAsync("/service/", ct));
            error.ErrorId.ShouldBe(ErrorIds.EtcdTimeout);
            error.Message.ShouldContain("-TimeoutSec");
            (DateTime.UtcNow - started).ShouldBeLessThan(TimeSpan.FromSeconds(20), "the deadline bounds the call (retries included)");
        }
        finally
        {
            await Signals.SendAsync(frozen.Pid, "CONT", ct);
        }
    }

    [Fact]
    public async Task A_cancelled_token_cancels_the_call()
    {
        await using var store = EtcdDcsStore.Open(Settings(etcd.Server.Endpoint));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(() => store.ReadPrefixAsync("/service/", cancelled.Token));
    }

    [Fact]
    public async Task Wrong_credentials_give_EtcdAuthenticationFailed_and_right_ones_read()
    {
        var ct = TestTimeouts.Default;
        await using var secured = await EtcdServer.StartAsync(cancellationToken: ct);
        using (var admin = secured.CreateClient())
        {
            await admin.UserAddAsync(new AuthUserAddRequest { Name = "root", Password = "right-password" }, cancellationToken: ct);
            await admin.UserGrantRoleAsync(new AuthUserGrantRoleRequest { User = "root", Role = "root" }, cancellationToken: ct);
            await admin.AuthEnableAsync(new AuthEnableRequest(), cancellationToken: ct);
        }

        await using (var wrong = EtcdDcsStore.Open(Settings(secured.Endpoint, TimeSpan.FromSeconds(5), new DcsCredentials("root", "wrong-password"))))
        {
            var error = await Should.ThrowAsync<CitusHaException>(() => wrong.ReadPrefixAsync("/service/", ct));
            error.ErrorId.ShouldBe(ErrorIds.EtcdAuthenticationFailed);
            error.Kind.ShouldBe(CitusErrorKind.Unauthorized);
            error.Message.ShouldNotContain("wrong-password");
        }

        await using var right = EtcdDcsStore.Open(Settings(secured.Endpoint, TimeSpan.FromSeconds(5), new DcsCredentials("root", "right-password")));
        (await right.ReadPrefixAsync("/service/", ct)).Items.ShouldBeEmpty();
    }
}
