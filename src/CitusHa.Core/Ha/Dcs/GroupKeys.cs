using System.Globalization;
using System.Text.Json;
using CitusHa.Core.Dcs;
using CitusHa.Core.Model;

namespace CitusHa.Core.Ha.Dcs;

/// <summary>
/// Decodes one group's raw keys (Patroni's JSON) into the <see cref="DcsView"/> the rules read, and
/// the effective <see cref="HaSettings"/> (the group's <c>config</c> key over the bootstrap values).
/// Pure: a malformed key is treated as absent, never as an error that stops the loop.
/// </summary>
public static class GroupKeys
{
    public static (DcsView View, HaSettings Settings) Decode(string groupPrefix, IEnumerable<DcsKeyValue> items, HaSettings bootstrap)
    {
        ArgumentNullException.ThrowIfNull(items);
        var keys = items.Where(i => i.Key.StartsWith(groupPrefix, StringComparison.Ordinal))
            .ToDictionary(i => i.Key[groupPrefix.Length..], StringComparer.Ordinal);

        LeaderKey? leader = keys.TryGetValue(DcsPaths.Leader, out var l) && !string.IsNullOrWhiteSpace(l.Value)
            ? new LeaderKey(l.Value.Trim(), l.Lease, l.ModRevision)
            : null;
        var config = Object(keys.GetValueOrDefault(DcsPaths.Config)?.Value);
        var settings = Settings(config, bootstrap);
        var members = keys
            .Where(k => k.Key.StartsWith(DcsPaths.Members + "/", StringComparison.Ordinal))
            .Select(k => Member(k.Key[(DcsPaths.Members.Length + 1)..], MemberRecord.Parse(k.Value.Value)))
            .OrderBy(m => m.Name, StringComparer.Ordinal)
            .ToList();

        var view = new DcsView
        {
            Leader = leader,
            Initialize = keys.TryGetValue(DcsPaths.Initialize, out var init) ? init.Value : null,
            Paused = config is { } c && c.TryGetProperty("pause", out var pause) && pause.ValueKind == JsonValueKind.True,
            Sync = Sync(keys.GetValueOrDefault(DcsPaths.Sync)),
            Failover = Failover(keys.GetValueOrDefault(DcsPaths.Failover)),
            ClusterLsn = PatroniValues.ClusterLsn(keys.GetValueOrDefault(DcsPaths.Status)?.Value, keys.GetValueOrDefault(DcsPaths.LegacyOptime)?.Value),
            ClusterTimeline = ClusterTimeline(keys.GetValueOrDefault(DcsPaths.History)?.Value),
            Members = members,
            PostgresParameters = Parameters(config),
            Failsafe = Failsafe(keys.GetValueOrDefault(DcsPaths.Failsafe)?.Value),
        };
        return (view, settings);
    }

    /// <summary>The <c>failsafe</c> key: a JSON object of member name → REST URL; anything else is discarded.</summary>
    private static Dictionary<string, string>? Failsafe(string? value)
    {
        if (Object(value) is not { } topology)
        {
            return null;
        }

        var members = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var member in topology.EnumerateObject())
        {
            if (member.Value.ValueKind != JsonValueKind.String || member.Value.GetString() is not { Length: > 0 } url)
            {
                return null;
            }

            members[member.Name] = url;
        }

        return members;
    }

    private static MemberInfo Member(string name, MemberRecord record) => new(
        name, record.ConnUrl, record.ApiUrl, record.State, record.Role,
        record.XlogLocation ?? Max(record.ReceiveLsn, record.ReplayLsn), record.Timeline,
        record.Tags.TryGetValue("nofailover", out var nf) && nf == "true",
        record.Tags.TryGetValue("failover_priority", out var fp) && int.TryParse(fp, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? p : 1,
        record.Tags.TryGetValue("nosync", out var ns) && ns == "true",
        record.Tags.TryGetValue("noloadbalance", out var nl) && nl == "true");

    private static HaSettings Settings(JsonElement? config, HaSettings bootstrap)
    {
        if (config is not { } c)
        {
            return bootstrap;
        }

        try
        {
            return ParseDynamic(c, bootstrap);
        }
        catch (Errors.CitusHaException)
        {
            return bootstrap; // an invalid dynamic configuration never weakens the safety rules
        }
    }

    /// <summary>
    /// The group's dynamic configuration (its <c>config</c> key) over <paramref name="bootstrap"/>,
    /// validated: throws InvalidHaSettings naming the bad setting, also for numbers out of any sane range.
    /// </summary>
    public static HaSettings ParseDynamic(JsonElement config, HaSettings bootstrap)
    {
        ArgumentNullException.ThrowIfNull(bootstrap);
        var c = config;
        if (c.ValueKind != JsonValueKind.Object)
        {
            throw new Errors.CitusHaException(Errors.CitusErrorKind.InvalidArgument, Errors.ErrorIds.InvalidHaSettings, "The dynamic configuration must be a JSON object.");
        }

        TimeSpan? Seconds(string name)
        {
            if (!c.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d) || d <= 0)
            {
                return null;
            }

            // TimeSpan.FromSeconds(1e12) throws; a day is far beyond any timer Patroni or we would use.
            return d <= TimeSpan.FromDays(1).TotalSeconds
                ? TimeSpan.FromSeconds(d)
                : throw new Errors.CitusHaException(Errors.CitusErrorKind.InvalidArgument, Errors.ErrorIds.InvalidHaSettings, $"{name} must not exceed one day (86400 seconds); {d} was given.");
        }

        var candidate = bootstrap with
        {
            Ttl = Seconds("ttl") ?? bootstrap.Ttl,
            LoopWait = Seconds("loop_wait") ?? bootstrap.LoopWait,
            RetryTimeout = Seconds("retry_timeout") ?? bootstrap.RetryTimeout,
            MaximumLagOnFailover = c.TryGetProperty("maximum_lag_on_failover", out var lag) && lag.ValueKind == JsonValueKind.Number && lag.TryGetInt64(out var bytes) ? bytes : bootstrap.MaximumLagOnFailover,
            PrimaryStartTimeout = Seconds("primary_start_timeout") ?? (c.TryGetProperty("primary_start_timeout", out var pst) && pst.ValueKind == JsonValueKind.Number && pst.TryGetDouble(out var zero) && zero == 0 ? TimeSpan.Zero : bootstrap.PrimaryStartTimeout),
            SynchronousMode = c.TryGetProperty("synchronous_mode", out var mode) ? Mode(mode) ?? bootstrap.SynchronousMode : bootstrap.SynchronousMode,
            SynchronousNodeCount = c.TryGetProperty("synchronous_node_count", out var n) && n.ValueKind == JsonValueKind.Number && n.TryGetInt32(out var count) && count > 0 ? count : bootstrap.SynchronousNodeCount,
            CheckTimeline = c.TryGetProperty("check_timeline", out var ct) ? ct.ValueKind == JsonValueKind.True : bootstrap.CheckTimeline,
            FailsafeMode = c.TryGetProperty("failsafe_mode", out var fs) ? fs.ValueKind == JsonValueKind.True : bootstrap.FailsafeMode,
        };
        return candidate.Validate();
    }

    private static SynchronousMode? Mode(JsonElement mode) => PatroniValues.SynchronousMode(mode) switch
    {
        "on" => SynchronousMode.On,
        "quorum" => SynchronousMode.Quorum,
        "off" => SynchronousMode.Off,
        _ => null,
    };

    private static SyncState? Sync(DcsKeyValue? kv)
    {
        if (kv is null)
        {
            return null;
        }

        if (Object(kv.Value) is not { } sync || !sync.TryGetProperty("leader", out var leader) || leader.ValueKind != JsonValueKind.String)
        {
            // Patroni's SyncState.empty(index): a key that cannot be read protects nothing, but keeps its
            // revision, so the leader's next compare-and-swap replaces it instead of failing for ever.
            return new SyncState(null, [], 0, kv.ModRevision);
        }

        var standbys = PatroniValues.SyncStandbyNames(sync);
        var quorum = sync.TryGetProperty("quorum", out var q) && q.ValueKind == JsonValueKind.Number && q.TryGetInt32(out var value) ? value : 0;
        return new SyncState(leader.GetString(), standbys, quorum, kv!.ModRevision);
    }

    /// <summary>Reads a <c>failover</c> key's value (null when empty or not a request).</summary>
    public static FailoverRequest? ParseFailover(string value, long modRevision) => Failover(new DcsKeyValue(string.Empty, value, 0, modRevision, 0));

    private static FailoverRequest? Failover(DcsKeyValue? kv)
    {
        if (Object(kv?.Value) is not { } f)
        {
            return null;
        }

        string? Text(string name) => f.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s : null;
        DateTimeOffset? at = Text("scheduled_at") is { } when && DateTimeOffset.TryParse(when, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed) ? parsed : null;
        var request = new FailoverRequest(Text("leader"), Text("member") ?? Text("candidate"), at, kv!.ModRevision);
        return request.IsEmpty ? null : request;
    }

    /// <summary>Patroni: the group's timeline is the last history line's timeline + 1 (1 for an empty history).</summary>
    private static int? ClusterTimeline(string? history)
    {
        if (history is null)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(history);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            var last = document.RootElement.EnumerateArray().LastOrDefault();
            return last.ValueKind == JsonValueKind.Array && last.GetArrayLength() > 0 && last[0].ValueKind == JsonValueKind.Number && last[0].TryGetInt32(out var tl) ? tl + 1 : 1;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonElement? Object(string? json) => JsonObjects.Parse(json);

    private static Dictionary<string, string> Parameters(JsonElement? config)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (config is { } c && c.TryGetProperty("postgresql", out var pg) && pg.ValueKind == JsonValueKind.Object
            && pg.TryGetProperty("parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in parameters.EnumerateObject())
            {
                result[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() ?? string.Empty : p.Value.GetRawText();
            }
        }

        return result;
    }

    private static long? Max(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);
}
