using System.Globalization;

namespace CitusHa.Core.Adapters.Postgres;

/// <summary>
/// The parameters a hot standby may not set lower than its primary did (PostgreSQL checks them when
/// it replays the primary's PARAMETER_CHANGE record and aborts recovery otherwise). As Patroni does, a
/// standby starts with the higher of its own value and the one pg_controldata recorded from the
/// primary, so members configured differently (a Patroni member with its defaults beside our agents,
/// an operator who raised max_connections on the leader first) keep replicating.
/// </summary>
internal static class HotStandbyParameters
{
    /// <summary>Parameter → (its pg_controldata line, PostgreSQL's default).</summary>
    private static readonly (string Parameter, string ControlDataKey, long Default)[] Checked =
    [
        ("max_connections", "max_connections setting", 100),
        ("max_worker_processes", "max_worker_processes setting", 8),
        ("max_wal_senders", "max_wal_senders setting", 10),
        ("max_prepared_transactions", "max_prepared_xacts setting", 0),
        ("max_locks_per_transaction", "max_locks_per_xact setting", 64),
    ];

    /// <summary>Raises, in <paramref name="settings"/>, every checked parameter below the primary's value in <paramref name="controlData"/>.</summary>
    public static IReadOnlyList<string> Raise(IDictionary<string, string> settings, IReadOnlyDictionary<string, string> controlData)
    {
        var raised = new List<string>();
        foreach (var (parameter, key, fallback) in Checked)
        {
            if (!controlData.TryGetValue(key, out var text) || !long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var primary))
            {
                continue;
            }

            var mine = settings.TryGetValue(parameter, out var value) && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var configured) ? configured : fallback;
            if (primary > mine)
            {
                settings[parameter] = primary.ToString(CultureInfo.InvariantCulture);
                raised.Add($"{parameter} {mine} → {primary}");
            }
        }

        return raised;
    }
}
