using System.Globalization;
using System.Text;
using CitusHa.Core.Postgres;

namespace CitusHa.Core.Adapters.Postgres;

/// <summary>
/// The files CitusHa owns in a data directory: <c>citusha.conf</c> (included from postgresql.conf),
/// <c>pg_hba.conf</c>, <c>standby.signal</c>, and the pgpass file in the state directory.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class PostgresConfigFiles
{
    public const string ManagedFileName = "citusha.conf";
    private const string IncludeLine = "include_if_exists = '" + ManagedFileName + "'";
    private readonly PostgresOptions options;
    private ReplicationSource? lastReplicaOf;
    private bool lastStandby;
    private IReadOnlyDictionary<string, string>? lastControlData;

    public PostgresConfigFiles(PostgresOptions options)
    {
        this.options = options;
        Parameters = options.Parameters;
    }

    /// <summary>The local <c>postgresql.parameters</c>; replaced by a configuration reload.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; set; }

    /// <summary>Rewrites the files for the role they were last written for (a configuration reload).</summary>
    public void Rewrite() => Write(lastReplicaOf, lastStandby);

    /// <summary>What the last write raised to the primary's values (for the log), e.g. "max_connections 40 → 100".</summary>
    public IReadOnlyList<string> Raised { get; private set; } = [];

    public string PgPassPath => Path.Combine(options.StateDirectory, "pgpass");

    /// <summary>
    /// Writes citusha.conf; <paramref name="replicaOf"/> null means primary (no standby.signal), unless
    /// <paramref name="standby"/>: then a standby with no upstream, which replays the WAL it has and
    /// stays read-only until it is promoted or told whom to follow.
    /// </summary>
    /// <param name="replicaOf">The member to stream from; null for a primary or a standby with no upstream.</param>
    /// <param name="standby">Start read-only (implied by <paramref name="replicaOf"/>).</param>
    /// <param name="controlData">pg_controldata's values, for a standby: the primary's settings it must not go below.</param>
    public void Write(ReplicationSource? replicaOf, bool standby = false, IReadOnlyDictionary<string, string>? controlData = null)
    {
        standby |= replicaOf is not null;
        lastReplicaOf = replicaOf;
        lastStandby = standby;
        lastControlData = standby ? controlData ?? lastControlData : null;
        var data = options.DataDirectory;
        var postgresqlConf = Path.Combine(data, "postgresql.conf");
        var existing = File.Exists(postgresqlConf) ? File.ReadAllText(postgresqlConf) : string.Empty;
        if (!existing.Contains(IncludeLine, StringComparison.Ordinal))
        {
            File.AppendAllText(postgresqlConf, $"\n# Managed by CitusHa: settings below are in {ManagedFileName}, rewritten by the agent.\n{IncludeLine}\n");
        }

        var settings = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in Parameters)
        {
            settings[name] = value;
        }

        settings["listen_addresses"] = options.ListenAddress;
        settings["port"] = options.Port.ToString(CultureInfo.InvariantCulture);
        // Not the data directory: pg_rewind would try to copy the socket file from the source.
        settings["unix_socket_directories"] = options.StateDirectory;
        settings["hot_standby"] = "on";
        settings["wal_log_hints"] = "on";
        settings.TryAdd("wal_level", "replica");
        settings.TryAdd("max_wal_senders", "10");
        settings.TryAdd("max_replication_slots", "10");
        settings.TryAdd("wal_keep_size", "128MB");
        settings.TryAdd("max_connections", "100");
        // After a failover a standby must stream from the new primary at once: with quorum commit the
        // new primary's writes wait for it (PostgreSQL's default retry interval is 5 s).
        settings.TryAdd("wal_retrieve_retry_interval", "1s");
        if (standby && lastControlData is { } primary)
        {
            Raised = HotStandbyParameters.Raise(settings, primary);
        }

        if (replicaOf is not null)
        {
            settings["primary_conninfo"] = ConnInfo(replicaOf.Host, replicaOf.Port, asSuperuser: false, "replication");
            settings["primary_slot_name"] = replicaOf.SlotName;
            settings["recovery_target_timeline"] = "latest";
        }

        var text = new StringBuilder("# Written by the CitusHa agent. Do not edit: changes are overwritten.\n");
        foreach (var (name, value) in settings)
        {
            text.Append(name).Append(" = '").Append(value.Replace("'", "''", StringComparison.Ordinal)).Append("'\n");
        }

        WriteAtomically(Path.Combine(data, ManagedFileName), text.ToString());
        WriteAtomically(Path.Combine(data, "pg_hba.conf"), HbaText());

        var signal = Path.Combine(data, "standby.signal");
        if (standby)
        {
            File.WriteAllText(signal, string.Empty);
        }
        else if (File.Exists(signal))
        {
            File.Delete(signal);
        }
    }

    /// <summary>A libpq connection string to a peer; the password comes from the pgpass file, never the string.</summary>
    /// <summary>A libpq connection string to another member as the replication user (<paramref name="asSuperuser"/>: as the superuser), with that user's TLS settings.</summary>
    public string ConnInfo(string host, int port, bool asSuperuser, string database) =>
        $"host={host} port={port.ToString(CultureInfo.InvariantCulture)} user={(asSuperuser ? options.SuperuserName : options.ReplicationUserName)} dbname={database} application_name={options.MemberName} passfile={PgPassPath} connect_timeout=3 {(asSuperuser ? options.SuperuserTls : options.ReplicationTls).ConnInfo}";

    /// <summary>The pgpass file (mode 0600) with both users' passwords for any host.</summary>
    public void WritePgPass()
    {
        Directory.CreateDirectory(options.StateDirectory);
        static string Escape(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace(":", "\\:", StringComparison.Ordinal);
        var text = $"*:*:*:{Escape(options.ReplicationUserName)}:{Escape(options.ReplicationPassword)}\n*:*:*:{Escape(options.SuperuserName)}:{Escape(options.SuperuserPassword)}\n";
        WriteAtomically(PgPassPath, text);
        File.SetUnixFileMode(PgPassPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private string HbaText()
    {
        const string Header =
            "# Written by the CitusHa agent.\n" +
            "# The socket lives in the agent's state directory (mode 0700): only the PostgreSQL OS user reaches it.\n" +
            "local   all             all                                     trust\n";
        if (options.HbaLines is { } lines)
        {
            return Header + "# postgresql.pg_hba from the configuration:\n" + string.Concat(lines.Select(l => l + "\n"));
        }

        return Header +
            $"host    replication     {options.ReplicationUserName,-15} all                     scram-sha-256\n" +
            $"host    all             all             all                     scram-sha-256\n";
    }

    private static void WriteAtomically(string path, string text)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }
}
