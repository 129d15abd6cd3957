using System.Globalization;
using System.Text.Json;

namespace CitusHa.Core.Model;

/// <summary>
/// The JSON a member publishes under <c>members/&lt;name&gt;</c> (Patroni's fields, same names).
/// Parsing is lenient: a field of the wrong type is treated as absent, because a reader must never
/// fail on a record written by a newer or older agent.
/// </summary>
public sealed record MemberRecord
{
    public string? ConnUrl { get; init; }
    public string? ApiUrl { get; init; }
    public string? State { get; init; }
    public string? Role { get; init; }
    public string? Version { get; init; }
    public long? XlogLocation { get; init; }
    public long? ReceiveLsn { get; init; }
    public long? ReplayLsn { get; init; }
    public string? ReplicationState { get; init; }
    public int? Timeline { get; init; }
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
    public bool PendingRestart { get; init; }
    public bool Paused { get; init; }

    public static MemberRecord Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.StartsWith("postgres", StringComparison.Ordinal))
        {
            return ParseLegacy(value);
        }

        try
        {
            using var document = JsonDocument.Parse(value);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return new MemberRecord();
            }

            var root = document.RootElement;
            return new MemberRecord
            {
                ConnUrl = WithoutUserInfo(String(root, "conn_url")),
                ApiUrl = String(root, "api_url"),
                State = String(root, "state"),
                Role = String(root, "role"),
                Version = String(root, "version"),
                XlogLocation = Int64(root, "xlog_location"),
                ReceiveLsn = Int64(root, "receive_lsn"),
                ReplayLsn = Int64(root, "replay_lsn"),
                ReplicationState = String(root, "replication_state"),
                Timeline = (int?)Int64(root, "timeline"),
                Tags = ParseTags(root),
                PendingRestart = Bool(root, "pending_restart"),
                Paused = Bool(root, "pause"),
            };
        }
        catch (JsonException)
        {
            return new MemberRecord();
        }
    }

    /// <summary>Very old Patroni wrote a connection URL with the API URL in application_name.</summary>
    private static MemberRecord ParseLegacy(string value)
    {
        var question = value.IndexOf('?', StringComparison.Ordinal);
        string? api = null;
        if (question > 0)
        {
            api = value[(question + 1)..].Split('&')
                .Select(p => p.Split('=', 2))
                .Where(p => p.Length == 2 && p[0] == "application_name")
                .Select(p => Uri.UnescapeDataString(p[1]))
                .FirstOrDefault();
        }

        return new MemberRecord { ConnUrl = WithoutUserInfo(question > 0 ? value[..question] : value), ApiUrl = api };
    }

    /// <summary>Old records carried <c>user:password@</c> in the URL: it never leaves the parser.</summary>
    internal static string? WithoutUserInfo(string? url)
    {
        if (url is null || !url.Contains('@', StringComparison.Ordinal) || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.UserInfo.Length == 0)
        {
            return url;
        }

        return new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty }.Uri.ToString().TrimEnd('/');
    }

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;

    private static long? Int64(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var e))
        {
            return null;
        }

        return e.ValueKind switch
        {
            JsonValueKind.Number when e.TryGetInt64(out var n) => n,
            JsonValueKind.String when long.TryParse(e.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
            _ => null,
        };
    }

    private static bool Bool(JsonElement root, string name) =>
        root.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.True;

    private static Dictionary<string, string> ParseTags(JsonElement root)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty("tags", out var e) && e.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in e.EnumerateObject())
            {
                tags[p.Name] = p.Value.ValueKind switch
                {
                    JsonValueKind.String => p.Value.GetString() ?? string.Empty,
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    _ => p.Value.GetRawText(),
                };
            }
        }

        return tags;
    }
}
