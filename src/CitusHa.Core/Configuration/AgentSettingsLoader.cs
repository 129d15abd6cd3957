using System.Globalization;
using CitusHa.Core.Errors;
using CitusHa.Core.Ha;

namespace CitusHa.Core.Configuration;

/// <summary>
/// Loads <see cref="AgentSettings"/> from a YAML file (Patroni's layout), then environment variables
/// (<c>CITUSHA_*</c>, and Patroni's <c>PATRONI_*</c> names where they mean the same), then secret files
/// (<c>*_FILE</c> variables and <c>password_file</c> keys, as Kubernetes Secrets are mounted).
/// Every problem names the key and where its value came from.
/// </summary>
public static class AgentSettingsLoader
{
    /// <summary>Environment variable suffix (after CITUSHA_ or PATRONI_) → configuration key.</summary>
    private static readonly (string Variable, string Key)[] EnvironmentKeys =
    [
        ("NAME", "name"),
        ("SCOPE", "scope"),
        ("NAMESPACE", "namespace"),
        ("CITUS_GROUP", "citus.group"),
        ("CITUS_DATABASE", "citus.database"),
        ("CITUS_LIBRARY", "citus.library"),
        ("ETCD3_HOSTS", "etcd3.hosts"),
        ("ETCD3_HOST", "etcd3.host"),
        ("ETCD3_USERNAME", "etcd3.username"),
        ("ETCD3_PASSWORD", "etcd3.password"),
        ("RESTAPI_LISTEN", "restapi.listen"),
        ("RESTAPI_CONNECT_ADDRESS", "restapi.connect_address"),
        ("RESTAPI_USERNAME", "restapi.authentication.username"),
        ("RESTAPI_PASSWORD", "restapi.authentication.password"),
        ("RESTAPI_CERTFILE", "restapi.certfile"),
        ("RESTAPI_KEYFILE", "restapi.keyfile"),
        ("RESTAPI_CAFILE", "restapi.cafile"),
        ("POSTGRESQL_LISTEN", "postgresql.listen"),
        ("POSTGRESQL_CONNECT_ADDRESS", "postgresql.connect_address"),
        ("POSTGRESQL_DATA_DIR", "postgresql.data_dir"),
        ("POSTGRESQL_BIN_DIR", "postgresql.bin_dir"),
        ("SUPERUSER_USERNAME", "postgresql.authentication.superuser.username"),
        ("SUPERUSER_PASSWORD", "postgresql.authentication.superuser.password"),
        ("REPLICATION_USERNAME", "postgresql.authentication.replication.username"),
        ("REPLICATION_PASSWORD", "postgresql.authentication.replication.password"),
        ("STATE_DIR", "citusha.state_dir"),
        ("RUN_AS", "citusha.run_as"),
    ];

    /// <summary>
    /// Patroni settings this agent recognises but does not act on: named in one warning at start, so a
    /// Patroni user sees what their file asks for that will not happen. Prefixes cover a whole section.
    /// </summary>
    private static readonly string[] UnsupportedPatroniKeys =
    [
        "postgresql.pg_ident", "postgresql.callbacks", "postgresql.basebackup", "postgresql.create_replica_methods",
        "postgresql.recovery_conf", "postgresql.custom_conf", "postgresql.config_dir", "postgresql.pgpass",
        "postgresql.use_unix_socket", "postgresql.use_unix_socket_repl", "postgresql.authentication.rewind",
        // The agent always takes a fresh copy when a rewind fails or timelines split (once the leader
        // answers as a primary): both keys, whatever their value, are named, not silently ignored.
        "postgresql.remove_data_directory_on_diverged_timelines", "postgresql.remove_data_directory_on_rewind_failure",
        "postgresql.pre_promote", "postgresql.before_stop",
        "bootstrap.initdb", "bootstrap.pg_hba", "bootstrap.users", "bootstrap.post_bootstrap", "bootstrap.post_init", "bootstrap.method",
        "bootstrap.dcs.standby_cluster", "standby_cluster",
        "tags.clonefrom", "tags.replicatefrom", "tags.nostream",
        "restapi.allowlist", "restapi.allowlist_include_members", "restapi.verify_client", "restapi.http_extra_headers", "restapi.https_extra_headers",
        "log", "ctl", "kubernetes", "consul", "zookeeper", "exhibitor", "raft", "etcd",
    ];

    private static readonly string[] HbaTypes = ["local", "host", "hostssl", "hostnossl", "hostgssenc", "hostnogssenc", "include", "include_if_exists", "include_dir"];

    /// <summary>postgresql.pg_hba as given; each line must begin with a pg_hba.conf connection type (or be a comment), or PostgreSQL would refuse to start.</summary>
    private static IReadOnlyList<string>? HbaLines(ConfigTree tree)
    {
        if (tree.GetList("postgresql.pg_hba") is not { } lines)
        {
            return tree.Get("postgresql.pg_hba") is { Length: > 0 }
                ? throw tree.Invalid("postgresql.pg_hba", "must be a list of pg_hba.conf lines (- host all all 10.0.0.0/8 scram-sha-256)")
                : null;
        }

        foreach (var line in lines)
        {
            var trimmed = line.Trim();
            var first = trimmed.Split([' ', '\t'], 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? string.Empty;
            if (trimmed.Length > 0 && !trimmed.StartsWith('#') && !HbaTypes.Contains(first, StringComparer.Ordinal))
            {
                throw tree.Invalid("postgresql.pg_hba", $"has the line '{trimmed}', which is not a pg_hba.conf rule: each line starts with one of {string.Join(", ", HbaTypes)}");
            }
        }

        return lines;
    }

    private static IReadOnlyList<string> Unsupported(ConfigTree tree) =>
        [.. UnsupportedPatroniKeys.Where(k => tree.Values.Keys.Any(v => v == k || v.StartsWith(k + ".", StringComparison.Ordinal)))];

    /// <summary>The citus section; absent (no group, no database) means a plain PostgreSQL group.</summary>
    private static Citus.CitusSettings? Citus(ConfigTree tree)
    {
        var database = tree.Get("citus.database");
        if (database is null && tree.Get("citus.group") is null)
        {
            return null;
        }

        if (database is { Length: 0 or > 63 } || (database is not null && database.Contains('\0', StringComparison.Ordinal)))
        {
            throw tree.Invalid("citus.database", "must be a database name of 1 to 63 bytes");
        }

        var useLibrary = tree.Get("citus.library")?.ToLowerInvariant() switch
        {
            null or "auto" => true,
            "off" => false,
            var other => throw tree.Invalid("citus.library", $"must be auto (use Citus when installed) or off (plain PostgreSQL HA), not '{other}'"),
        };
        return new Citus.CitusSettings(database ?? CitusHa.Core.Citus.CitusSettings.DefaultDatabase, useLibrary);
    }

    private static readonly string[] PasswordKeys =
    [
        "etcd3.password",
        "restapi.authentication.password",
        "postgresql.authentication.superuser.password",
        "postgresql.authentication.replication.password",
    ];

    public static AgentSettings Load(string? configFile, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ConfigTree tree;
        if (configFile is null)
        {
            tree = new ConfigTree();
        }
        else if (!File.Exists(configFile))
        {
            throw new CitusHaException(CitusErrorKind.NotFound, ErrorIds.ConfigFileNotFound, $"The configuration file '{configFile}' does not exist.", configFile);
        }
        else
        {
            tree = ConfigTree.FromYaml(File.ReadAllText(configFile), configFile);
        }

        ApplyEnvironment(tree, environment);
        ApplySecretFiles(tree, environment);
        return Build(tree);
    }

    private static void ApplyEnvironment(ConfigTree tree, Func<string, string?> environment)
    {
        foreach (var prefix in new[] { "PATRONI_", "CITUSHA_" }) // CitusHa names applied last: they win
        {
            foreach (var (variable, key) in EnvironmentKeys)
            {
                if (environment(prefix + variable) is { Length: > 0 } value)
                {
                    tree.Set(key, value, prefix + variable);
                }
            }
        }
    }

    private static void ApplySecretFiles(ConfigTree tree, Func<string, string?> environment)
    {
        foreach (var key in PasswordKeys)
        {
            var variable = EnvironmentKeys.First(e => e.Key == key).Variable;
            var fromEnvironment = environment($"CITUSHA_{variable}_FILE") ?? environment($"PATRONI_{variable}_FILE");
            var fromYaml = tree.Get(key + "_file");
            var file = fromEnvironment ?? fromYaml;
            if (file is null)
            {
                continue;
            }

            var origin = fromEnvironment is not null ? $"CITUSHA_{variable}_FILE" : $"{key}_file";
            try
            {
                tree.Set(key, File.ReadAllText(file).TrimEnd('\r', '\n'), origin);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw tree.Invalid(key, $"names a secret file '{file}' ({origin}) that cannot be read: {e.Message}");
            }
        }
    }

    private static AgentSettings Build(ConfigTree tree)
    {
        var name = tree.Require("name");
        if (name.Contains('/', StringComparison.Ordinal) || name.Any(char.IsWhiteSpace))
        {
            throw tree.Invalid("name", "must not contain '/' or spaces");
        }

        var group = tree.WholeNumber("citus.group", 0, 100000) ?? 0;
        var citus = Citus(tree);
        var etcdUser = tree.Get("etcd3.username");
        var dcs = DcsSettings.Create(
            tree.Get("etcd3.hosts") is { } hosts ? [hosts] : tree.Get("etcd3.host") is { } host ? [host] : null,
            tree.Get("namespace"),
            tree.Require("scope"),
            etcdUser is null ? null : new DcsCredentials(etcdUser, tree.Get("etcd3.password") ?? string.Empty),
            null);

        var restListen = tree.Get("restapi.listen") ?? "127.0.0.1:8008";
        var restConnect = tree.Get("restapi.connect_address") ?? restListen;
        _ = HostPort(tree, "restapi.listen", restListen);
        _ = HostPort(tree, "restapi.connect_address", restConnect);
        var restUser = tree.Get("restapi.authentication.username");
        var certFile = ExistingFile(tree, "restapi.certfile");
        var keyFile = ExistingFile(tree, "restapi.keyfile");
        var caFile = ExistingFile(tree, "restapi.cafile");
        if (keyFile is not null && certFile is null)
        {
            throw tree.Invalid("restapi.keyfile", "is set without restapi.certfile; give the certificate too (or a PEM with both in restapi.certfile)");
        }

        var (pgListenHost, pgPort) = HostPort(tree, "postgresql.listen", "127.0.0.1:5432");
        var (pgConnectHost, pgConnectPort) = HostPort(tree, "postgresql.connect_address", tree.Get("postgresql.listen") ?? "127.0.0.1:5432");
        var dataDirectory = tree.Require("postgresql.data_dir");
        var stateDirectory = tree.Get("citusha.state_dir") ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(dataDirectory).TrimEnd('/')) ?? "/tmp", "citusha-state");
        if (Path.GetFullPath(stateDirectory).StartsWith(Path.GetFullPath(dataDirectory).TrimEnd('/') + "/", StringComparison.Ordinal))
        {
            throw tree.Invalid("citusha.state_dir", "must not be inside postgresql.data_dir");
        }

        var ha = new HaSettings
        {
            Ttl = tree.Seconds("bootstrap.dcs.ttl", 2, 3600) ?? HaSettings.Defaults.Ttl,
            LoopWait = tree.Seconds("bootstrap.dcs.loop_wait", 0.1, 600) ?? HaSettings.Defaults.LoopWait,
            RetryTimeout = tree.Seconds("bootstrap.dcs.retry_timeout", 1, 600) ?? HaSettings.Defaults.RetryTimeout,
            MaximumLagOnFailover = tree.ByteCount("bootstrap.dcs.maximum_lag_on_failover", 0) ?? HaSettings.Defaults.MaximumLagOnFailover,
            PrimaryStartTimeout = tree.Seconds("bootstrap.dcs.primary_start_timeout", 0, 86400) ?? HaSettings.Defaults.PrimaryStartTimeout,
            SynchronousMode = SynchronousModeOf(tree, "bootstrap.dcs.synchronous_mode") ?? HaSettings.Defaults.SynchronousMode,
            SynchronousNodeCount = tree.WholeNumber("bootstrap.dcs.synchronous_node_count", 1, 100) ?? 1,
            CheckTimeline = tree.Bool("bootstrap.dcs.check_timeline") ?? false,
            FailsafeMode = tree.Bool("bootstrap.dcs.failsafe_mode") ?? false,
        };
        try
        {
            ha.Validate();
        }
        catch (CitusHaException e)
        {
            throw tree.Invalid("bootstrap.dcs", e.Message.TrimEnd('.'));
        }

        return new AgentSettings
        {
            Name = name,
            Group = group,
            Citus = citus,
            Dcs = dcs,
            RestApiListen = restListen,
            RestApiConnectAddress = restConnect,
            RestApiCredentials = restUser is null ? null : new DcsCredentials(restUser, tree.Get("restapi.authentication.password") ?? string.Empty),
            RestApiCertificateFile = certFile,
            RestApiKeyFile = keyFile,
            RestApiCaFile = caFile,
            Postgres = new PostgresSettings
            {
                DataDirectory = dataDirectory,
                BinDirectory = tree.Get("postgresql.bin_dir") ?? DefaultBinDirectory(),
                ListenAddress = pgListenHost,
                Port = pgPort,
                ConnectHost = pgConnectHost,
                ConnectPort = pgConnectPort,
                SuperuserName = tree.Get("postgresql.authentication.superuser.username") ?? "postgres",
                SuperuserPassword = tree.Get("postgresql.authentication.superuser.password") ?? throw tree.Invalid("postgresql.authentication.superuser.password", "is required (or its _FILE variant / password_file)"),
                ReplicationUserName = tree.Get("postgresql.authentication.replication.username") ?? "replicator",
                ReplicationPassword = tree.Get("postgresql.authentication.replication.password") ?? throw tree.Invalid("postgresql.authentication.replication.password", "is required (or its _FILE variant / password_file)"),
                ReplicationTls = ClientTlsOf(tree, "postgresql.authentication.replication"),
                SuperuserTls = ClientTlsOf(tree, "postgresql.authentication.superuser"),
                Parameters = tree.Section("postgresql.parameters"),
                PgHba = HbaLines(tree),
            },
            UnsupportedKeys = Unsupported(tree),
            Ha = ha,
            NoFailover = tree.Bool("tags.nofailover") ?? false,
            FailoverPriority = tree.WholeNumber("tags.failover_priority", 0, 1000000) ?? 1,
            NoSync = tree.Bool("tags.nosync") ?? false,
            NoLoadBalance = tree.Bool("tags.noloadbalance") ?? false,
            WatchdogMode = tree.Get("watchdog.mode")?.ToLowerInvariant() switch
            {
                null or "automatic" => WatchdogMode.Automatic,
                "off" or "false" => WatchdogMode.Off,
                "required" => WatchdogMode.Required,
                var other => throw tree.Invalid("watchdog.mode", $"must be off, automatic or required, not '{other}'"),
            },
            WatchdogSafetyMargin = tree.Seconds("watchdog.safety_margin", 0, 3600) ?? TimeSpan.FromSeconds(2),
            StateDirectory = stateDirectory,
            RunAsUser = tree.Get("citusha.run_as"),
        };
    }

    /// <summary>Patroni's per-user sslmode and sslrootcert (prefer and none when absent).</summary>
    private static Postgres.ClientTls ClientTlsOf(ConfigTree tree, string user)
    {
        var mode = tree.Get($"{user}.sslmode")?.ToLowerInvariant() ?? "prefer";
        if (!Postgres.ClientTls.Modes.Contains(mode))
        {
            throw tree.Invalid($"{user}.sslmode", $"must be one of {string.Join(", ", Postgres.ClientTls.Modes)}, not '{mode}'");
        }

        var root = ExistingFile(tree, $"{user}.sslrootcert");
        if (mode is "verify-ca" or "verify-full" && root is null)
        {
            throw tree.Invalid($"{user}.sslmode", $"is {mode}, which needs {user}.sslrootcert (the CA file the server's certificate is checked against)");
        }

        return new Postgres.ClientTls(mode, root);
    }

    private static string? ExistingFile(ConfigTree tree, string key)
    {
        var path = tree.Get(key);
        return path is null || File.Exists(path) ? path : throw tree.Invalid(key, $"names '{path}', which does not exist");
    }

    private static SynchronousMode? SynchronousModeOf(ConfigTree tree, string key) => tree.Get(key)?.ToLowerInvariant() switch
    {
        null => null,
        "off" or "false" => SynchronousMode.Off,
        "on" or "true" => SynchronousMode.On,
        "quorum" => SynchronousMode.Quorum,
        var other => throw tree.Invalid(key, $"must be off, on or quorum, not '{other}'"),
    };

    private static (string Host, int Port) HostPort(ConfigTree tree, string key, string fallback)
    {
        var text = tree.Get(key) ?? fallback;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw tree.Invalid(key, $"must be host:port, not '{text}'");
        }

        return (text[..colon], port);
    }

    private static string DefaultBinDirectory() =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => d, StringComparer.Ordinal).Select(d => Path.Combine(d, "bin")).FirstOrDefault(Directory.Exists) ?? "/usr/lib/postgresql/15/bin"
            : "/usr/lib/postgresql/15/bin";
}
