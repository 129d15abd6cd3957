using System.Globalization;
using CitusHa.Core.Errors;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CitusHa.Core.Configuration;

/// <summary>
/// A configuration flattened to dotted keys (<c>restapi.listen</c>, <c>postgresql.parameters.work_mem</c>),
/// so that the YAML file, environment variables and secret files all land in one place and every
/// error can name the exact key.
/// </summary>
public sealed class ConfigTree
{
    private readonly Dictionary<string, string> values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> origins = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<string>> lists = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> Values => values;

    public static ConfigTree FromYaml(string yaml, string sourceName)
    {
        var tree = new ConfigTree();
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.ConfigFileInvalid,
                $"The configuration file '{sourceName}' is not valid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.Message}", sourceName, e);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's parser throws this (not a YamlException) on some unterminated flow collections.
            throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.ConfigFileInvalid,
                $"The configuration file '{sourceName}' is not valid YAML (an unclosed '[' or '{{'?): {e.Message}", sourceName, e);
        }

        if (stream.Documents.Count > 0)
        {
            if (stream.Documents[0].RootNode is not YamlMappingNode root)
            {
                throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.ConfigFileInvalid,
                    $"The configuration file '{sourceName}' must be a YAML mapping (key: value lines) at the top level.", sourceName);
            }

            tree.Flatten(root, string.Empty, sourceName);
        }

        return tree;
    }

    public void Set(string key, string value, string origin)
    {
        values[key] = value;
        origins[key] = origin;
    }

    public string? Get(string key) => values.GetValueOrDefault(key);

    /// <summary>A YAML list as its items (pg_hba lines may hold commas, so the comma-joined value will not do); null when absent or not a list.</summary>
    public IReadOnlyList<string>? GetList(string key) => lists.GetValueOrDefault(key);

    /// <summary>Where a key's value came from (file, variable), for error messages.</summary>
    public string OriginOf(string key) => origins.GetValueOrDefault(key) ?? "the defaults";

    /// <summary>Every key under <paramref name="prefix"/> (without the prefix): a map such as postgresql.parameters.</summary>
    public IReadOnlyDictionary<string, string> Section(string prefix) =>
        values.Where(kv => kv.Key.StartsWith(prefix + ".", StringComparison.Ordinal))
              .ToDictionary(kv => kv.Key[(prefix.Length + 1)..], kv => kv.Value, StringComparer.Ordinal);

    public string Require(string key) =>
        Get(key) is { Length: > 0 } value ? value : throw Invalid(key, "is required");

    public int? WholeNumber(string key, int min, int max)
    {
        if (Get(key) is not { } text)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw Invalid(key, $"must be a whole number from {min} to {max}, not '{text}'");
    }

    public long? ByteCount(string key, long min)
    {
        if (Get(key) is not { } text)
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min
            ? value
            : throw Invalid(key, $"must be a whole number of at least {min}, not '{text}'");
    }

    public TimeSpan? Seconds(string key, double min, double max)
    {
        if (Get(key) is not { } text)
        {
            return null;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? TimeSpan.FromSeconds(value)
            : throw Invalid(key, $"must be a number of seconds from {min} to {max}, not '{text}'");
    }

    public bool? Bool(string key)
    {
        if (Get(key) is not { } text)
        {
            return null;
        }

        return text.ToLowerInvariant() switch
        {
            "true" or "on" or "yes" or "1" => true,
            "false" or "off" or "no" or "0" => false,
            _ => throw Invalid(key, $"must be true or false, not '{text}'"),
        };
    }

    public CitusHaException Invalid(string key, string problem) =>
        new(CitusErrorKind.InvalidArgument, ErrorIds.InvalidConfiguration, $"Configuration key '{key}' (from {OriginOf(key)}) {problem}.", key);

    private void Flatten(YamlNode node, string path, string sourceName)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (keyNode, child) in mapping.Children)
                {
                    var key = ((YamlScalarNode)keyNode).Value ?? string.Empty;
                    Flatten(child, path.Length == 0 ? key : $"{path}.{key}", sourceName);
                }

                break;
            case YamlSequenceNode sequence:
                // Lists (etcd3.hosts, pg_hba lines) are kept as one comma-joined value.
                Set(path, string.Join(",", sequence.Children.OfType<YamlScalarNode>().Select(s => s.Value)), sourceName);
                lists[path] = [.. sequence.Children.OfType<YamlScalarNode>().Select(s => s.Value ?? string.Empty)];
                break;
            case YamlScalarNode scalar when scalar.Value is { } value && !(scalar.Style == ScalarStyle.Plain && value is "~" or "null"):
                Set(path, value, sourceName);
                break;
        }
    }
}
