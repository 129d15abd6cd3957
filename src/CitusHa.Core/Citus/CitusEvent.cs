using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CitusHa.Core.Citus;

/// <summary>What a worker tells the coordinator about its group's primary (POST /citus).</summary>
public enum CitusEventType
{
    /// <summary>The worker primary is about to stop: pause the coordinator's traffic to the group.</summary>
    BeforeDemote,

    /// <summary>A worker replica is about to promote: point the primary row at it (still paused).</summary>
    BeforePromote,

    /// <summary>The worker runs as primary: commit, traffic resumes. Also the periodic reconcile's event.</summary>
    AfterPromote,
}

/// <summary>
/// The body of <c>POST /citus</c>, as Patroni sends it:
/// <c>{"type": "before_demote", "group": 1, "leader": "w1-0", "timeout": 10, "cooldown": 3}</c>
/// (timeout = the worker's ttl, cooldown = its retry_timeout, both in seconds).
/// </summary>
public sealed record CitusEvent(CitusEventType Type, int Group, string Leader, TimeSpan Timeout, TimeSpan Cooldown)
{
    public static string Name(CitusEventType type) => type switch
    {
        CitusEventType.BeforeDemote => "before_demote",
        CitusEventType.BeforePromote => "before_promote",
        _ => "after_promote",
    };

    public string ToJson() => new JsonObject
    {
        ["type"] = Name(Type),
        ["group"] = Group,
        ["leader"] = Leader,
        ["timeout"] = Timeout.TotalSeconds,
        ["cooldown"] = Cooldown.TotalSeconds,
    }.ToJsonString();

    /// <summary>Parses a body; the error names the field that is wrong (the REST API answers it with 400).</summary>
    public static bool TryParse(string body, out CitusEvent? parsed, out string error)
    {
        parsed = null;
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(body);
            root = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            error = "the body is not JSON";
            return false;
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            error = "the body must be a JSON object";
            return false;
        }

        CitusEventType? type = Text(root, "type") switch
        {
            "before_demote" => CitusEventType.BeforeDemote,
            "before_promote" => CitusEventType.BeforePromote,
            "after_promote" => CitusEventType.AfterPromote,
            _ => null,
        };
        if (type is null)
        {
            error = "'type' must be before_demote, before_promote or after_promote";
            return false;
        }

        if (!root.TryGetProperty("group", out var g) || g.ValueKind != JsonValueKind.Number || !g.TryGetInt32(out var group) || group < 1)
        {
            error = "'group' must be a worker group number (1 or more)";
            return false;
        }

        if (Text(root, "leader") is not { Length: > 0 } leader)
        {
            error = "'leader' must name the worker group's leader";
            return false;
        }

        var timeout = Seconds(root, "timeout") ?? 30;
        var cooldown = Seconds(root, "cooldown") ?? 10;
        if (timeout <= 0 || timeout > 3600 || cooldown < 0 || cooldown > 3600)
        {
            error = "'timeout' and 'cooldown' must be seconds between 0 and 3600";
            return false;
        }

        parsed = new CitusEvent(type.Value, group, leader, TimeSpan.FromSeconds(timeout), TimeSpan.FromSeconds(cooldown));
        error = string.Empty;
        return true;
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static double? Seconds(JsonElement root, string name) => root.TryGetProperty(name, out var v) switch
    {
        false => null,
        true when v.ValueKind == JsonValueKind.Number => v.GetDouble(),
        true when v.ValueKind == JsonValueKind.String && double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => -1,
    };
}
