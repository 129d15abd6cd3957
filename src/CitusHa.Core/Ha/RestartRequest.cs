using System.Globalization;
using System.Text.Json.Nodes;

namespace CitusHa.Core.Ha;

/// <summary>
/// The body of <c>POST /restart</c> (Patroni §6.4): an optional schedule plus filters that must all
/// hold at restart time — the member's role, a PostgreSQL version the server must be older than, and
/// "only if a parameter change is pending".
/// </summary>
public sealed record RestartRequest
{
    private static readonly string[] Keys = ["schedule", "timeout", "role", "postgres_version", "restart_pending"];

    public DateTimeOffset? Schedule { get; init; }

    /// <summary>"primary" or "replica"; null matches both.</summary>
    public string? Role { get; init; }

    /// <summary>Restart only when the running server's version_num is below this.</summary>
    public int? PostgresVersionBelow { get; init; }

    /// <summary>The text the operator gave for <see cref="PostgresVersionBelow"/>, echoed back in the member record.</summary>
    public string? PostgresVersionText { get; init; }

    public bool OnlyIfPending { get; init; }

    /// <summary>How long the restart may take before it is reported as failed.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Parses a request body; <paramref name="error"/> names the bad key and what is expected (Patroni's 400 texts).</summary>
    public static RestartRequest? Parse(JsonObject? body, DateTimeOffset now, out string? error)
    {
        error = null;
        var request = new RestartRequest();
        if (body is null)
        {
            return request;
        }

        foreach (var (key, value) in body)
        {
            if (Array.IndexOf(Keys, key) < 0)
            {
                error = $"Unknown filter for the scheduled restart: {key}";
                return null;
            }

            var text = value is JsonValue v ? v.ToString() : value?.ToJsonString();
            switch (key)
            {
                case "schedule":
                    if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
                    {
                        error = "Unable to parse scheduled timestamp. It should be in an unambiguous format, e.g. ISO 8601";
                        return null;
                    }

                    if (at < now)
                    {
                        error = "Cannot schedule restart in the past";
                        return null;
                    }

                    request = request with { Schedule = at };
                    break;
                case "role":
                    request = request with
                    {
                        Role = text switch
                        {
                            "primary" or "master" => "primary",
                            "replica" => "replica",
                            _ => null,
                        },
                    };
                    if (request.Role is null)
                    {
                        error = "PostgreSQL role should be either primary or replica";
                        return null;
                    }

                    break;
                case "postgres_version":
                    if (ParseVersion(text) is not { } version)
                    {
                        error = "PostgreSQL version should be in the first.major.minor format";
                        return null;
                    }

                    request = request with { PostgresVersionBelow = version, PostgresVersionText = text };
                    break;
                case "restart_pending":
                    request = request with { OnlyIfPending = value is JsonValue b && b.TryGetValue<bool>(out var pending) ? pending : string.Equals(text, "true", StringComparison.OrdinalIgnoreCase) };
                    break;
                case "timeout":
                    if (ParseSeconds(text) is not { } seconds)
                    {
                        error = "Timeout should be a positive number";
                        return null;
                    }

                    request = request with { Timeout = seconds };
                    break;
            }
        }

        return request;
    }

    /// <summary>Whether the filters hold for a member in this state (Patroni's <c>restart_matches</c>).</summary>
    /// <summary>Whether the filters hold for the member <paramref name="view"/> describes (a primary: it holds the key or runs as one).</summary>
    public bool Matches(GroupView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        return Matches(view.HoldsLeaderKey || view.Postgres.InRecovery == false, view.Postgres.ServerVersion, view.PendingRestart);
    }

    public bool Matches(bool isPrimary, int? serverVersion, bool pendingRestart) =>
        (Role is null || Role == (isPrimary ? "primary" : "replica"))
        && (PostgresVersionBelow is null || (serverVersion is { } running && running < PostgresVersionBelow))
        && (!OnlyIfPending || pendingRestart);

    /// <summary>The member record's <c>scheduled_restart</c> object.</summary>
    public JsonObject ToRecord(DateTimeOffset? postmasterStartTime)
    {
        var record = new JsonObject { ["schedule"] = Schedule?.ToString("O", CultureInfo.InvariantCulture) };
        if (postmasterStartTime is { } started)
        {
            record["postmaster_start_time"] = started.ToString("O", CultureInfo.InvariantCulture);
        }

        if (Role is not null)
        {
            record["role"] = Role;
        }

        if (PostgresVersionText is not null)
        {
            record["postgres_version"] = PostgresVersionText;
        }

        if (OnlyIfPending)
        {
            record["restart_pending"] = true;
        }

        if (Timeout is { } timeout)
        {
            record["timeout"] = timeout.TotalSeconds;
        }

        return record;
    }

    /// <summary>"15.8" → 150008, "9.6.24" → 90624, "16" → 160000 (PostgreSQL's server_version_num).</summary>
    public static int? ParseVersion(string? text)
    {
        var parts = (text ?? string.Empty).Split('.');
        var numbers = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i]))
            {
                return null;
            }
        }

        return numbers switch
        {
            [var major] when major >= 10 => major * 10000,
            [var major, var minor] when major >= 10 => (major * 10000) + minor,
            [var first, var major, var minor] when first < 10 => (first * 10000) + (major * 100) + minor,
            _ => null,
        };
    }

    private static TimeSpan? ParseSeconds(string? text)
    {
        var trimmed = (text ?? string.Empty).Trim();
        if (trimmed.EndsWith('s'))
        {
            trimmed = trimmed[..^1];
        }

        return double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : null;
    }
}
