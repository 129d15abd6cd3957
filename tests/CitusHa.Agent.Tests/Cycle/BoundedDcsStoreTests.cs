using System.Diagnostics;
using CitusHa.Agent.Loop;
using CitusHa.Core.Errors;
using CitusHa.Core.Tests.Dcs;

namespace CitusHa.Agent.Tests.Cycle;

/// <summary>Every etcd call the agent makes ends within retry_timeout, whatever the connection's own timeout.</summary>
public sealed class BoundedDcsStoreTests
{
    [Fact]
    public async Task A_frozen_etcd_fails_a_write_as_a_timeout_within_retry_timeout()
    {
        var inner = new InMemoryDcsStore { Hang = true };
        await using var store = new BoundedDcsStore(inner, TimeSpan.FromMilliseconds(300));
        var watch = Stopwatch.StartNew();
        var error = await Should.ThrowAsync<CitusHaException>(() => store.PutAsync("/k", "v", 0, CancellationToken.None));
        watch.Stop();
        error.Kind.ShouldBe(CitusErrorKind.Timeout);
        error.ErrorId.ShouldBe(ErrorIds.EtcdTimeout);
        error.Message.ShouldContain("retry_timeout (0.3 s)");
        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5), "bounded by the limit, not by the caller");
    }

    [Fact]
    public async Task A_changed_retry_timeout_applies_to_the_next_call()
    {
        var inner = new InMemoryDcsStore { Hang = true };
        await using var store = new BoundedDcsStore(inner, TimeSpan.FromSeconds(30)) { Limit = TimeSpan.FromMilliseconds(200) };
        var error = await Should.ThrowAsync<CitusHaException>(() => store.CreateAsync("/k", "v", 0, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));
        error.Message.ShouldContain("0.2 s");
    }

    [Fact]
    public async Task The_caller_cancelling_is_a_cancellation_not_a_timeout_and_other_failures_pass_through()
    {
        await using var hanging = new BoundedDcsStore(new InMemoryDcsStore { Hang = true }, TimeSpan.FromSeconds(30));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Should.ThrowAsync<OperationCanceledException>(() => hanging.ReadPrefixAsync("/", cancel.Token));

        await using var down = new BoundedDcsStore(new InMemoryDcsStore { Unreachable = true }, TimeSpan.FromSeconds(30));
        (await Should.ThrowAsync<CitusHaException>(() => down.GrantLeaseAsync(TimeSpan.FromSeconds(10), CancellationToken.None))).ErrorId.ShouldBe(ErrorIds.EtcdUnavailable);
    }

    [Fact]
    public async Task Calls_that_answer_in_time_are_unchanged()
    {
        var inner = new InMemoryDcsStore();
        await using var store = new BoundedDcsStore(inner, TimeSpan.FromSeconds(3));
        var lease = await store.GrantLeaseAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
        (await store.CreateAsync("/g/leader", "a", lease, CancellationToken.None)).Succeeded.ShouldBeTrue();
        (await store.CreateAsync("/g/leader", "b", lease, CancellationToken.None)).Succeeded.ShouldBeFalse();
        (await store.ReadPrefixAsync("/g/", CancellationToken.None)).Items.Single().Value.ShouldBe("a");
    }
}
