using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using CitusHa.Agent.Kubernetes;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;

namespace CitusHa.Agent.Tests.Kubernetes;

/// <summary>
/// The pod role label against a small in-test API server that checks each request: the path of the
/// agent's own pod, a JSON merge patch, the module's field manager, one patch per change.
/// </summary>
public sealed class PodRoleLabelTests : IDisposable
{
    private readonly HttpListener server = new();
    private readonly ConcurrentQueue<(string Method, string Path, string? ContentType, string Body)> requests = new();
    private readonly CancellationTokenSource stop = new();
    private readonly int port = CitusHa.Testing.Servers.LoopbackPorts.Next();
    private volatile int failWith;

    public PodRoleLabelTests()
    {
        server.Prefixes.Add($"http://127.0.0.1:{port}/");
        server.Start();
        _ = ServeAsync();
    }

    private async Task ServeAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await server.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            using var reader = new StreamReader(context.Request.InputStream);
            var body = await reader.ReadToEndAsync();
            requests.Enqueue((context.Request.HttpMethod, context.Request.Url!.PathAndQuery, context.Request.ContentType, body));
            context.Response.StatusCode = failWith is > 0 and var code ? code : 200;
            context.Response.ContentType = "application/json";
            await using (var writer = new StreamWriter(context.Response.OutputStream))
            {
                await writer.WriteAsync("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"sales-worker-1-0","namespace":"data"}}""");
            }

            context.Response.Close();
        }
    }

    private PodRoleLabel Label() =>
        new(new k8s.Kubernetes(new KubernetesClientConfiguration { Host = $"http://127.0.0.1:{port}" }), "data", "sales-worker-1-0", NullLogger.Instance);

    [Fact]
    public async Task A_role_change_is_one_merge_patch_of_the_agents_own_pod()
    {
        using var label = Label();
        await label.KeepAsync("primary", CancellationToken.None);
        await label.KeepAsync("primary", CancellationToken.None);

        var request = requests.ShouldHaveSingleItem("an unchanged role sends nothing");
        request.Method.ShouldBe("PATCH");
        request.Path.ShouldStartWith("/api/v1/namespaces/data/pods/sales-worker-1-0");
        request.Path.ShouldContain("fieldManager=CitusHa");
        request.ContentType.ShouldNotBeNull().ShouldStartWith("application/merge-patch+json");
        JsonNode.Parse(request.Body)!["metadata"]!["labels"]![PodRoleLabel.Label]!.GetValue<string>().ShouldBe("primary");
    }

    [Fact]
    public async Task Losing_the_role_removes_the_label_so_no_Service_routes_to_the_pod()
    {
        using var label = Label();
        await label.KeepAsync("primary", CancellationToken.None);
        await label.KeepAsync(null, CancellationToken.None);

        requests.Count.ShouldBe(2);
        var labels = JsonNode.Parse(requests.Last().Body)!["metadata"]!["labels"]!.AsObject();
        labels.ContainsKey(PodRoleLabel.Label).ShouldBeTrue();
        labels[PodRoleLabel.Label].ShouldBeNull("a null in a merge patch deletes the label");
    }

    [Fact]
    public async Task A_refused_patch_does_not_throw_and_is_sent_again_next_cycle()
    {
        using var label = Label();
        failWith = 403;
        await label.KeepAsync("replica", CancellationToken.None);
        failWith = 0;
        await label.KeepAsync("replica", CancellationToken.None);
        await label.KeepAsync("replica", CancellationToken.None);

        requests.Count.ShouldBe(2, "retried once after the refusal, then nothing while unchanged");
    }

    public void Dispose()
    {
        stop.Cancel();
        server.Close();
        stop.Dispose();
    }
}
