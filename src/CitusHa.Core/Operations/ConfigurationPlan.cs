using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CitusHa.Core.Errors;
using CitusHa.Core.Ha;
using CitusHa.Core.Ha.Dcs;

namespace CitusHa.Core.Operations;

/// <summary>One setting that a configuration change sets, changes or removes (dotted path, JSON text of the values).</summary>
public sealed record ConfigurationChange(string Path, string? OldValue, string? NewValue);

/// <summary>
/// A change to a group's dynamic configuration (its <c>config</c> key), planned without I/O: the
/// settings as dotted paths (<c>ttl</c>, <c>postgresql.parameters.work_mem</c>; a null value removes the
/// key), the JSON merge patch Patroni's <c>PATCH /config</c> takes, the changes it makes, and the merged
/// result, which must pass the same validation the agents apply (ttl, loop_wait, retry_timeout, ...).
/// </summary>
public sealed record ConfigurationPlan(JsonObject Patch, JsonObject Merged, IReadOnlyList<ConfigurationChange> Changes)
{
    public static ConfigurationPlan Create(JsonObject current, IReadOnlyDictionary<string, object?> settings)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(settings);
        var patch = new JsonObject();
        foreach (var (path, value) in settings.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            var parts = path.Split('.');
            if (parts.Any(string.IsNullOrWhiteSpace))
            {
                throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.InvalidConfiguration,
                    $"'{path}' is not a setting path: use names separated by dots, e.g. ttl or postgresql.parameters.work_mem.", path);
            }

            var node = patch;
            foreach (var part in parts[..^1])
            {
                node = node[part] as JsonObject ?? (JsonObject)(node[part] = new JsonObject());
            }

            node[parts[^1]] = ToJson(path, value);
        }

        var merged = (JsonObject)current.DeepClone();
        Merge(merged, patch);
        var changes = Diff(current, merged).ToList();
        try
        {
            using var document = JsonDocument.Parse(merged.ToJsonString());
            GroupKeys.ParseDynamic(document.RootElement, HaSettings.Defaults);
        }
        catch (CitusHaException e)
        {
            throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.InvalidConfiguration,
                $"The change would leave an invalid configuration, which the agents would ignore: {e.Message}", null, e);
        }

        return new ConfigurationPlan(patch, merged, changes);
    }

    /// <summary>Patroni's merge: objects merge key by key, null removes a key, anything else replaces.</summary>
    public static void Merge(JsonObject target, JsonObject patch)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(patch);
        foreach (var (name, value) in patch.ToList())
        {
            if (value is null)
            {
                target.Remove(name);
            }
            else if (value is JsonObject child && target[name] is JsonObject existing)
            {
                Merge(existing, child);
            }
            else
            {
                target[name] = value.DeepClone();
            }
        }
    }

    /// <summary>Every leaf that differs, as dotted paths, in path order.</summary>
    public static IEnumerable<ConfigurationChange> Diff(JsonObject before, JsonObject after)
    {
        var old = Flatten(before);
        var now = Flatten(after);
        return old.Keys.Union(now.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select(path => new ConfigurationChange(path, old.GetValueOrDefault(path), now.GetValueOrDefault(path)))
            .Where(c => c.OldValue != c.NewValue);
    }

    /// <summary>The leaves of a configuration as dotted path → JSON text (an empty object has none).</summary>
    public static IReadOnlyDictionary<string, string> Flatten(JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var leaves = new Dictionary<string, string>(StringComparer.Ordinal);
        void Walk(string prefix, JsonNode? node)
        {
            if (node is JsonObject obj)
            {
                foreach (var (name, child) in obj)
                {
                    Walk(prefix.Length == 0 ? name : $"{prefix}.{name}", child);
                }
            }
            else if (prefix.Length > 0)
            {
                leaves[prefix] = node?.ToJsonString() ?? "null";
            }
        }

        Walk(string.Empty, config);
        return leaves;
    }

    private static JsonValue? ToJson(string path, object? value) => value switch
    {
        null => null,
        string text => JsonValue.Create(text),
        bool flag => JsonValue.Create(flag),
        int or long or short or byte => JsonValue.Create(Convert.ToInt64(value, CultureInfo.InvariantCulture)),
        double or float or decimal => JsonValue.Create(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
        _ => throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.InvalidConfiguration,
            $"The value of '{path}' is a {value.GetType().Name}; give a string, a number, $true/$false, or $null to remove the setting.", path),
    };
}
