using System.Diagnostics;
using System.Globalization;
using CitusHa.Testing.PowerShell;
using CitusHa.Testing.Servers;

// citusha-module-bench [--groups N] [--members N] [--rounds N]
// Writes a synthetic formation into a real etcd and times, in this process's PowerShell engine: the
// module's first import, Get-CitusTopology and Get-CitusCluster over the whole formation, and tab
// completion of a member name (warm). Prints min / median / max; asserts nothing.
int Option(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}

var groups = Option("--groups", 64);
var members = Option("--members", 3);
var rounds = Option("--rounds", 20);

await using var etcd = await EtcdServer.StartAsync();
using (var client = etcd.CreateClient())
{
    for (var g = 0; g < groups; g++)
    {
        var prefix = $"/service/bench/{g}";
        await client.PutAsync($"{prefix}/leader", $"bench-{g}-0");
        await client.PutAsync($"{prefix}/config", """{"ttl":10,"loop_wait":1,"retry_timeout":3,"synchronous_mode":"quorum"}""");
        await client.PutAsync($"{prefix}/sync", $$"""{"leader":"bench-{{g}}-0","sync_standby":"bench-{{g}}-1","quorum":1}""");
        await client.PutAsync($"{prefix}/status", """{"optime":67108864}""");
        await client.PutAsync($"{prefix}/history", $$"""[[1,50331744,"no recovery target specified","2026-11-30T04:00:00+00:00","bench-{{g}}-0"]]""");
        for (var m = 0; m < members; m++)
        {
            var role = m == 0 ? "primary" : "replica";
            await client.PutAsync($"{prefix}/members/bench-{g}-{m}",
                $$"""{"conn_url":"postgres://bench-{{g}}-{{m}}.bench.svc:5432/postgres","api_url":"http://bench-{{g}}-{{m}}.bench.svc:8008/patroni","state":"{{(m == 0 ? "running" : "streaming")}}","role":"{{role}}","replication_state":"streaming","timeline":2,"xlog_location":67108864,"version":"0.1.0"}""");
        }
    }
}

Console.WriteLine($"module benchmark: {groups} groups x {members} members in etcd {etcd.Endpoint}, {rounds} rounds each");
var importClock = Stopwatch.StartNew();
using var session = ModuleSession.Open();
var importTime = importClock.Elapsed;
var completionLine = $"Invoke-CitusSwitchover -Endpoint {etcd.Endpoint} -Name bench -Group 7 -Candidate ";
var variables = new System.Collections.Hashtable { ["endpoint"] = etcd.Endpoint, ["line"] = completionLine };

List<double> Time(string label, string script, int expected)
{
    var samples = new List<double>();
    session.Invoke(script, variables); // warm: the first call pays for JIT and the etcd channel
    for (var i = 0; i < rounds; i++)
    {
        var clock = Stopwatch.StartNew();
        var result = session.Invoke(script, variables);
        samples.Add(clock.Elapsed.TotalMilliseconds);
        if (result.Errors.Count > 0 || result.Terminating is not null || (expected >= 0 && result.Output.Count != expected))
        {
            throw new InvalidOperationException($"{label} went wrong: {result.Describe()}");
        }
    }

    samples.Sort();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {label,-58} median {samples[samples.Count / 2],7:0.0} ms (min {samples[0]:0.0}, max {samples[^1]:0.0})"));
    return samples;
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"Import-Module CitusHa (first, cold engine)",-58} {importTime.TotalMilliseconds,7:0.0} ms"));
// The pipeline's own objects: what a script gets. Formatting them for the screen is measured separately.
Time($"Get-CitusTopology, {groups * members} members (objects)", "Get-CitusTopology -Name bench -Endpoint $endpoint", groups * members);
Time($"Get-CitusTopology, {groups * members} members (table to the host)", "Get-CitusTopology -Name bench -Endpoint $endpoint | Out-Default", 0);
Time($"Get-CitusCluster, {groups} groups (objects)", "Get-CitusCluster -Name bench -Endpoint $endpoint", groups);
Time("completion of -Candidate (warm cache)", "[System.Management.Automation.CommandCompletion]::CompleteInput($line, $line.Length, $null).CompletionMatches.Count", 1);
// Issue 16's target: rendering 64 worker groups in-process within 200 ms (printed, not asserted).
Time($"New-CitusCluster -WorkerGroups {groups} (typed objects)", $"New-CitusCluster bench -Namespace data -WorkerGroups {groups} -EtcdEndpoint etcd:2379", (4 * (groups + 1)) + 5);
Time($"New-CitusCluster -WorkerGroups {groups} -AsYaml", $"New-CitusCluster bench -Namespace data -WorkerGroups {groups} -EtcdEndpoint etcd:2379 -AsYaml", 1);
