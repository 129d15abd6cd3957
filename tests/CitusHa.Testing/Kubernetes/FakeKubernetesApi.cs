#nullable enable
// Self-contained (explicit usings, no other fixture): the Pester suite compiles this file with Add-Type.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using System.Web;

namespace CitusHa.Testing.Kubernetes;

/// <summary>
/// A small in-test Kubernetes API server on a loopback port (there is no Kubernetes here): it keeps
/// objects by path and speaks what the module sends — GET of an object or a pod list, server-side
/// apply (PATCH application/apply-patch+yaml, with dryRun=All and force), POST create (409 when the
/// object exists), DELETE, and a pod watch. Every request is recorded so tests can check what was sent.
/// Apply replaces the object's fields wholesale (no field merging), which is enough to tell a
/// create, an update and a no-op apart; fields claimed by another manager answer 409 unless forced.
/// </summary>
public sealed class FakeKubernetesApi : IAsyncDisposable
{
    private readonly HttpListener listener = new();
    private readonly ConcurrentDictionary<string, JsonObject> store = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> foreignOwners = new(StringComparer.Ordinal);
    private readonly List<Channel<string>> watchers = [];
    private readonly CancellationTokenSource stop = new();
    private readonly Task serving;
    private long version = 100;
    private int disposed;

    public FakeKubernetesApi(string? requiredToken = "test-token")
    {
        RequiredToken = requiredToken;
        Port = FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        listener.Start();
        serving = ServeAsync();
    }

    public int Port { get; }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public string? RequiredToken { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>Raised after an apply is stored (with the object's path), as a controller would react: a test starts the pods of a new StatefulSet.</summary>
    public event Action<string>? Applied;

    /// <summary>Raised after an object is deleted (with its path), as a controller would react: a test stops the pods of a deleted StatefulSet.</summary>
    public event Action<string>? Deleted;

    public ConcurrentQueue<(string Method, string PathAndQuery, string? ContentType, string Body)> Requests { get; } = new();

    /// <summary>Writes a kubeconfig for this server (context "fake", user token "test-token") and returns its path.</summary>
    public string WriteKubeconfig(string directory, string context = "fake", string? token = null)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"kubeconfig-{context}");
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: {context}
              cluster:
                server: {Url}
            users:
            - name: {context}-user
              user:
                token: {(string.IsNullOrEmpty(token) ? RequiredToken ?? "none" : token)}
            contexts:
            - name: {context}
              context:
                cluster: {context}
                user: {context}-user
            current-context: {context}
            """);
        return path;
    }

    public JsonObject? Get(string path) => store.TryGetValue(path, out var value) ? (JsonObject)value.DeepClone() : null;

    public IReadOnlyCollection<string> Paths => [.. store.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Puts an object as another client would (kubectl, an operator), bypassing apply.</summary>
    public void Put(string path, JsonObject value)
    {
        var copy = (JsonObject)value.DeepClone();
        Stamp(copy, path, created: !store.ContainsKey(path));
        store[path] = copy;
        if (path.Contains("/pods/", StringComparison.Ordinal))
        {
            Publish("MODIFIED", copy);
        }
    }

    /// <summary>Another field manager owns <paramref name="path"/>: an apply that is not forced gets 409.</summary>
    public void OwnedByAnotherManager(string path, string manager) => foreignOwners[path] = manager;

    /// <summary>A pod of a formation, with its group and optional role label (as the agent keeps it).</summary>
    public void SetPod(string ns, string name, string cluster, int group, string? role)
    {
        var labels = new JsonObject
        {
            ["app.kubernetes.io/instance"] = cluster,
            ["app.kubernetes.io/name"] = "citusha",
            ["citusha.io/group"] = group.ToString(CultureInfo.InvariantCulture),
        };
        if (role is not null)
        {
            labels["citusha.io/role"] = role;
        }

        Put($"/api/v1/namespaces/{ns}/pods/{name}", new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = labels },
        });
    }

    private void Stamp(JsonObject value, string path, bool created)
    {
        var metadata = value["metadata"] as JsonObject ?? new JsonObject();
        value["metadata"] = metadata;
        metadata["resourceVersion"] = Interlocked.Increment(ref version).ToString(CultureInfo.InvariantCulture);
        if (created)
        {
            metadata["uid"] = Guid.NewGuid().ToString();
            metadata["creationTimestamp"] = "2026-11-30T00:00:00Z";
        }
        else if (store.TryGetValue(path, out var old) && old["metadata"] is JsonObject oldMetadata)
        {
            metadata["uid"] = oldMetadata["uid"]?.DeepClone();
            metadata["creationTimestamp"] = oldMetadata["creationTimestamp"]?.DeepClone();
        }
    }

    private void Publish(string type, JsonObject pod)
    {
        var line = new JsonObject { ["type"] = type, ["object"] = pod.DeepClone() }.ToJsonString() + "\n";
        lock (watchers)
        {
            foreach (var watcher in watchers)
            {
                watcher.Writer.TryWrite(line);
            }
        }
    }

    private async Task ServeAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        string body;
        using (var reader = new StreamReader(request.InputStream))
        {
            body = await reader.ReadToEndAsync();
        }

        var path = request.Url!.AbsolutePath.TrimEnd('/');
        var query = HttpUtility.ParseQueryString(request.Url.Query);
        Requests.Enqueue((request.HttpMethod, request.Url.PathAndQuery, request.ContentType, body));
        try
        {
            if (RequiredToken is not null && request.Headers["Authorization"] != $"Bearer {RequiredToken}")
            {
                await RespondAsync(context, 401, Status(401, "Unauthorized", "Unauthorized"));
                return;
            }

            switch (request.HttpMethod)
            {
                case "GET" when query["watch"] == "true" || query["watch"] == "1":
                    await WatchAsync(context, int.TryParse(query["timeoutSeconds"], out var t) ? t : 60);
                    return;
                case "GET" when path.EndsWith("/pods", StringComparison.Ordinal):
                    await RespondAsync(context, 200, List(path, query["labelSelector"]));
                    return;
                case "GET":
                    await RespondAsync(context, store.TryGetValue(path, out var found) ? 200 : 404, found ?? Status(404, "NotFound", $"{path} not found"));
                    return;
                case "PATCH":
                    await ApplyAsync(context, path, query, body);
                    return;
                case "DELETE":
                    if (!store.TryRemove(path, out var gone))
                    {
                        await RespondAsync(context, 404, Status(404, "NotFound", $"{path} not found"));
                        return;
                    }

                    Deleted?.Invoke(path);
                    await RespondAsync(context, 200, gone);
                    return;
                case "POST":
                    var created = JsonNode.Parse(body)!.AsObject();
                    var itemPath = $"{path}/{created["metadata"]!["name"]!.GetValue<string>()}";
                    if (store.ContainsKey(itemPath))
                    {
                        await RespondAsync(context, 409, Status(409, "AlreadyExists", $"{itemPath} already exists"));
                        return;
                    }

                    Stamp(created, itemPath, created: true);
                    store[itemPath] = created;
                    await RespondAsync(context, 201, created);
                    return;
                default:
                    await RespondAsync(context, 405, Status(405, "MethodNotAllowed", request.HttpMethod));
                    return;
            }
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or IOException)
        {
            // The client went away.
        }
    }

    private async Task ApplyAsync(HttpListenerContext context, string path, System.Collections.Specialized.NameValueCollection query, string body)
    {
        if (context.Request.ContentType?.StartsWith("application/apply-patch+yaml", StringComparison.Ordinal) != true)
        {
            await RespondAsync(context, 415, Status(415, "UnsupportedMediaType", $"only server-side apply is served here, not {context.Request.ContentType}"));
            return;
        }

        if (string.IsNullOrEmpty(query["fieldManager"]))
        {
            await RespondAsync(context, 422, Status(422, "Invalid", "fieldManager is required for apply requests"));
            return;
        }

        if (foreignOwners.TryGetValue(path, out var owner) && query["force"] != "true")
        {
            await RespondAsync(context, 409, Status(409, "Conflict", $"Apply failed with 1 conflict: conflict with \"{owner}\": .spec.replicas"));
            return;
        }

        var applied = JsonNode.Parse(body)!.AsObject();
        var exists = store.ContainsKey(path);
        Stamp(applied, path, created: !exists);
        if (query["dryRun"] == "All")
        {
            await RespondAsync(context, exists ? 200 : 201, applied);
            return;
        }

        foreignOwners.TryRemove(path, out _);
        store[path] = applied;
        Applied?.Invoke(path);
        await RespondAsync(context, exists ? 200 : 201, applied);
    }

    private JsonObject List(string collection, string? selector)
    {
        var wanted = (selector ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).ToList();
        var items = new JsonArray();
        foreach (var (key, value) in store.Where(p => p.Key.StartsWith(collection + "/", StringComparison.Ordinal)).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var labels = value["metadata"]?["labels"] as JsonObject;
            if (wanted.All(w => labels?[w[0]]?.GetValue<string>() == w[1]))
            {
                items.Add(value.DeepClone());
            }
        }

        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "PodList",
            ["metadata"] = new JsonObject { ["resourceVersion"] = Interlocked.Read(ref version).ToString(CultureInfo.InvariantCulture) },
            ["items"] = items,
        };
    }

    private async Task WatchAsync(HttpListenerContext context, int timeoutSeconds)
    {
        var channel = Channel.CreateUnbounded<string>();
        lock (watchers)
        {
            watchers.Add(channel);
        }

        try
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            context.Response.SendChunked = true;
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
            limit.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds));
            var output = context.Response.OutputStream;
            await output.FlushAsync(limit.Token);
            await foreach (var line in channel.Reader.ReadAllAsync(limit.Token))
            {
                var bytes = Encoding.UTF8.GetBytes(line);
                await output.WriteAsync(bytes, limit.Token);
                await output.FlushAsync(limit.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // The watch's time is up, or the server stops: end the stream as a real server does.
        }
        finally
        {
            lock (watchers)
            {
                watchers.Remove(channel);
            }

            try
            {
                context.Response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                // Already gone.
            }
        }
    }

    private static JsonObject Status(int code, string reason, string message) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Status",
        ["status"] = "Failure",
        ["reason"] = reason,
        ["message"] = message,
        ["code"] = code,
    };

    private static async Task RespondAsync(HttpListenerContext context, int status, JsonObject body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }

        await stop.CancelAsync();
        listener.Close();
        try
        {
            await serving;
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
        {
            // Closed.
        }

        stop.Dispose();
    }
}
