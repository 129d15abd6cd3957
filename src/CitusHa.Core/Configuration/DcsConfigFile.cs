using CitusHa.Core.Errors;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CitusHa.Core.Configuration;

/// <summary>
/// Reads the connection part of an agent or Patroni YAML configuration: <c>scope</c>, <c>namespace</c>
/// and <c>etcd3</c> (or <c>etcd</c>) with <c>hosts</c>/<c>host</c>, <c>protocol</c>, <c>username</c>,
/// <c>password</c>; and, for the cmdlets that run SQL on the coordinator, the superuser
/// (<c>postgresql.authentication.superuser</c>) and the Citus database (<c>citus.database</c>).
/// Everything else in the file belongs to the agent and is ignored here.
/// </summary>
public static class DcsConfigFile
{
    public static DcsSettingsSource Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CitusHaException(CitusErrorKind.NotFound, ErrorIds.ConfigFileNotFound,
                $"The configuration file '{path}' does not exist. Give the path of the agent's (or Patroni's) YAML configuration.", path, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.ConfigFileInvalid,
                $"The configuration file '{path}' cannot be read: {e.Message}", path, e);
        }

        return Parse(text, path);
    }

    public static DcsSettingsSource Parse(string yaml, string sourceName)
    {
        var root = ReadRoot(yaml, sourceName);
        if (root is null)
        {
            return new DcsSettingsSource();
        }

        var etcd = Child(root, "etcd3", sourceName) ?? Child(root, "etcd", sourceName);
        IReadOnlyList<string>? endpoints = null;
        DcsCredentials? credentials = null;
        if (etcd is not null)
        {
            var protocol = Scalar(etcd, "protocol", sourceName, "etcd3.protocol");
            var hosts = Hosts(etcd, sourceName);
            endpoints = hosts?.Select(h => protocol is null || h.Contains("://", StringComparison.Ordinal) ? h : $"{protocol}://{h}").ToList();
            var username = Scalar(etcd, "username", sourceName, "etcd3.username");
            if (username is not null)
            {
                credentials = new DcsCredentials(username, Scalar(etcd, "password", sourceName, "etcd3.password") ?? string.Empty);
            }
        }

        var superuser = Child(root, "postgresql", sourceName) is { } postgresql && Child(postgresql, "authentication", sourceName) is { } authentication
            ? Child(authentication, "superuser", sourceName)
            : null;
        var superuserName = superuser is null ? null : Scalar(superuser, "username", sourceName, "postgresql.authentication.superuser.username");
        var superuserPassword = superuser is null ? null : Scalar(superuser, "password", sourceName, "postgresql.authentication.superuser.password");
        return new DcsSettingsSource(
            endpoints,
            Scalar(root, "namespace", sourceName, "namespace"),
            Scalar(root, "scope", sourceName, "scope"),
            credentials,
            Superuser: superuserPassword is null ? null : new DcsCredentials(superuserName ?? "postgres", superuserPassword),
            CitusDatabase: Child(root, "citus", sourceName) is { } citus ? Scalar(citus, "database", sourceName, "citus.database") : null);
    }

    private static YamlMappingNode? ReadRoot(string yaml, string sourceName)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw Invalid(sourceName, $"is not valid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.Message}", e);
        }

        if (stream.Documents.Count == 0)
        {
            return null;
        }

        return stream.Documents[0].RootNode as YamlMappingNode
            ?? throw Invalid(sourceName, "must be a YAML mapping (key: value lines) at the top level.");
    }

    private static YamlMappingNode? Child(YamlMappingNode parent, string key, string sourceName)
    {
        if (!parent.Children.TryGetValue(new YamlScalarNode(key), out var node) || IsNull(node))
        {
            return null;
        }

        return node as YamlMappingNode ?? throw Invalid(sourceName, $"key '{key}' must be a mapping (nested key: value lines).");
    }

    private static string? Scalar(YamlMappingNode parent, string key, string sourceName, string path)
    {
        if (!parent.Children.TryGetValue(new YamlScalarNode(key), out var node) || IsNull(node))
        {
            return null;
        }

        return node is YamlScalarNode scalar
            ? scalar.Value
            : throw Invalid(sourceName, $"key '{path}' must be a single value, not a list or mapping.");
    }

    private static List<string>? Hosts(YamlMappingNode etcd, string sourceName)
    {
        foreach (var key in new[] { "hosts", "host" })
        {
            if (!etcd.Children.TryGetValue(new YamlScalarNode(key), out var node) || IsNull(node))
            {
                continue;
            }

            return node switch
            {
                YamlScalarNode scalar => [scalar.Value ?? string.Empty],
                YamlSequenceNode list when list.Children.All(c => c is YamlScalarNode) =>
                    list.Children.Cast<YamlScalarNode>().Select(c => c.Value ?? string.Empty).ToList(),
                _ => throw Invalid(sourceName, $"key 'etcd3.{key}' must be 'host:port,host:port' or a list of host:port values."),
            };
        }

        return null;
    }

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: not ScalarStyle.SingleQuoted and not ScalarStyle.DoubleQuoted, Value: null or "" or "~" or "null" };

    private static CitusHaException Invalid(string sourceName, string problem, Exception? inner = null) =>
        new(CitusErrorKind.InvalidArgument, ErrorIds.ConfigFileInvalid, $"The configuration file '{sourceName}' {problem}", sourceName, inner);
}
