using CitusHa.Core.Configuration;

namespace CitusHa.Agent.Loop;

/// <summary>What a configuration reload did: parameters now waiting for a PostgreSQL restart, settings waiting for an agent restart.</summary>
internal sealed record ReloadOutcome(IReadOnlyList<string> PendingRestart, IReadOnlyList<string> NeedAgentRestart)
{
    /// <summary>
    /// The settings a reload cannot change in a running agent (identity, addresses, credentials, tags),
    /// named by their configuration keys. Local PostgreSQL parameters are applied instead.
    /// </summary>
    public static IReadOnlyList<string> ChangesNeedingRestart(AgentSettings running, AgentSettings fresh)
    {
        ArgumentNullException.ThrowIfNull(running);
        ArgumentNullException.ThrowIfNull(fresh);
        var changed = new List<string>();
        void Check(string key, object? a, object? b)
        {
            if (!Equals(a, b))
            {
                changed.Add(key);
            }
        }

        Check("name", running.Name, fresh.Name);
        Check("citus.group", running.Group, fresh.Group);
        Check("scope", running.Dcs.Scope, fresh.Dcs.Scope);
        Check("namespace", running.Dcs.Namespace, fresh.Dcs.Namespace);
        Check("etcd3.hosts", string.Join(',', running.Dcs.Endpoints), string.Join(',', fresh.Dcs.Endpoints));
        Check("restapi.listen", running.RestApiListen, fresh.RestApiListen);
        Check("restapi.connect_address", running.RestApiConnectAddress, fresh.RestApiConnectAddress);
        Check("restapi.authentication", (running.RestApiCredentials?.Username, running.RestApiCredentials?.Password), (fresh.RestApiCredentials?.Username, fresh.RestApiCredentials?.Password));
        Check("etcd3.authentication", (running.Dcs.Credentials?.Username, running.Dcs.Credentials?.Password), (fresh.Dcs.Credentials?.Username, fresh.Dcs.Credentials?.Password));
        Check("postgresql.data_dir", running.Postgres.DataDirectory, fresh.Postgres.DataDirectory);
        Check("postgresql.bin_dir", running.Postgres.BinDirectory, fresh.Postgres.BinDirectory);
        Check("postgresql.listen", $"{running.Postgres.ListenAddress}:{running.Postgres.Port}", $"{fresh.Postgres.ListenAddress}:{fresh.Postgres.Port}");
        Check("postgresql.connect_address", $"{running.Postgres.ConnectHost}:{running.Postgres.ConnectPort}", $"{fresh.Postgres.ConnectHost}:{fresh.Postgres.ConnectPort}");
        Check("postgresql.authentication", (running.Postgres.SuperuserName, running.Postgres.SuperuserPassword, running.Postgres.ReplicationUserName, running.Postgres.ReplicationPassword),
            (fresh.Postgres.SuperuserName, fresh.Postgres.SuperuserPassword, fresh.Postgres.ReplicationUserName, fresh.Postgres.ReplicationPassword));
        Check("postgresql.pg_hba", string.Join('\n', running.Postgres.PgHba ?? []), string.Join('\n', fresh.Postgres.PgHba ?? []));
        Check("tags", (running.NoFailover, running.FailoverPriority, running.NoSync, running.NoLoadBalance), (fresh.NoFailover, fresh.FailoverPriority, fresh.NoSync, fresh.NoLoadBalance));
        return changed;
    }
}
