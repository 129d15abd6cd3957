using CitusHa.Core.Postgres;
using Npgsql;

namespace CitusHa.Core.Adapters.Postgres;

/// <summary>
/// How the agent reaches its own PostgreSQL: the superuser over the Unix socket in the state
/// directory (trusted in pg_hba: only the PostgreSQL OS user can open it). Callers add pooling,
/// timeouts and session options for their use.
/// </summary>
internal static class LocalSocket
{
    public static NpgsqlConnectionStringBuilder Builder(PostgresOptions options, string database) => new()
    {
        Host = options.StateDirectory,
        Port = options.Port,
        Username = options.SuperuserName,
        Database = database,
    };
}
