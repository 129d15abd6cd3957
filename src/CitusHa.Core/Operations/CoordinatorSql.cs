using CitusHa.Core.Errors;
using CitusHa.Core.Model;
using Npgsql;

namespace CitusHa.Core.Operations;

/// <summary>
/// SQL on the coordinator's primary, as etcd names it (group 0's leader, running, by its conn_url):
/// finding it, connecting with the operator's PostgreSQL user, and turning PostgreSQL's failures into
/// errors that say what to do. Used by the pg_dist_node check and the rebalance cmdlets.
/// </summary>
public static class CoordinatorSql
{
    /// <summary>The coordinator's primary: host and port, and the member's name for messages.</summary>
    public sealed record Address(string Member, string Host, int Port)
    {
        public override string ToString() => $"{Member} ({Host}:{Port})";
    }

    /// <summary>Group 0's running leader. NotFound when the cluster or group 0 is absent, NoLeader when it has no running primary.</summary>
    public static async Task<Address> LocateAsync(OperatorConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var store = DcsConnection.Open(connection.Dcs);
        GroupTopology group;
        await using (store.ConfigureAwait(false))
        {
            group = (await GroupReader.ReadAsync(store, connection, 0, cancellationToken).ConfigureAwait(false)).Group;
        }

        return Primary(group) ?? throw new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.NoLeader,
            $"The coordinator group (0) of '{connection.Scope}' has no running primary now{(group.Leader is null ? " (no leader)" : $" ({group.Leader} leads but is not running as primary)")}. Wait for its failover (Get-CitusCluster -Group 0), then try again.",
            connection.Scope);
    }

    /// <summary>Pure: the leader when it runs as a primary and has an address.</summary>
    public static Address? Primary(GroupTopology group)
    {
        ArgumentNullException.ThrowIfNull(group);
        return group.LeaderMember is { Role: MemberRole.Leader, State: "running", Host: { } host, Port: { } port } leader
            ? new Address(leader.Name, host, port)
            : null;
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a connection to the coordinator's primary (in the Citus database,
    /// as the operator's PostgreSQL user) and closes it; every PostgreSQL failure on the way becomes a
    /// <see cref="Translate"/>d error. The one way the cmdlets run SQL on the coordinator.
    /// </summary>
    public static async Task<T> RunAsync<T>(OperatorConnection connection, Func<NpgsqlConnection, Address, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        var (db, address) = await OpenAsync(connection, cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            try
            {
                return await work(db, address).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException && !cancellationToken.IsCancellationRequested)
            {
                throw Translate(e, connection, address);
            }
        }
    }

    private static async Task<(NpgsqlConnection Connection, Address Address)> OpenAsync(OperatorConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var credentials = connection.Postgres ?? throw new CitusHaException(CitusErrorKind.Unauthorized, ErrorIds.InvalidCredential,
            "No PostgreSQL user was given for SQL on the coordinator. Pass -PostgresCredential (or -ConfigFile with postgresql.authentication.superuser), "
            + "connect with Connect-CitusCluster -PostgresCredential, or set CITUSHA_POSTGRES_USERNAME and CITUSHA_POSTGRES_PASSWORD.");
        var address = await LocateAsync(connection, cancellationToken).ConfigureAwait(false);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = address.Host,
            Port = address.Port,
            Username = credentials.Username,
            Password = credentials.Password,
            Database = connection.CitusDatabase,
            Timeout = 5,
            CommandTimeout = 30,
            Pooling = false,
            ApplicationName = "citusha-module",
        };
        var db = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await db.OpenAsync(cancellationToken).ConfigureAwait(false);
            // etcd names the leader a moment before its promotion ends: a server still in recovery is
            // not the coordinator's primary yet (Citus' functions would fail or read the past there).
            await using (var recovery = new NpgsqlCommand("SELECT pg_catalog.pg_is_in_recovery()", db))
            {
                if (await recovery.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true)
                {
                    throw new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.PostgresUnavailable,
                        $"The coordinator's leader {address} is still being promoted (its PostgreSQL is in recovery). Try again in a moment.", address.ToString());
                }
            }

            return (db, address);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            await db.DisposeAsync().ConfigureAwait(false);
            throw Translate(e, connection, address);
        }
        catch
        {
            await db.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// A PostgreSQL failure as an error that names the coordinator and what to do: refused
    /// credentials, a database or function that is not there (not Citus), unreachable. Others keep
    /// PostgreSQL's own message. The password never appears: Npgsql's messages do not carry it.
    /// </summary>
    private static CitusHaException Translate(Exception e, OperatorConnection connection, Address address)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(address);
        var user = connection.Postgres?.Username ?? "(none)";
        return e switch
        {
            PostgresException { SqlState: "28P01" or "28000" } => new CitusHaException(CitusErrorKind.Unauthorized, ErrorIds.PostgresAuthenticationFailed,
                $"The coordinator's PostgreSQL at {address} refused the credentials of '{user}'. Give a user the coordinator accepts (-PostgresCredential).", address.ToString(), e),
            PostgresException { SqlState: "3D000" } => new CitusHaException(CitusErrorKind.NotFound, ErrorIds.PostgresFailed,
                $"The coordinator at {address} has no database '{connection.CitusDatabase}'. Give the Citus database with -Database (citus.database in the agent's configuration).", address.ToString(), e),
            PostgresException { SqlState: "42883" or "42P01" } p => new CitusHaException(CitusErrorKind.NotFound, ErrorIds.NotCitus,
                $"Database '{connection.CitusDatabase}' on the coordinator at {address} is not a Citus database ({p.MessageText}). Is this a Citus formation, and is -Database right?", address.ToString(), e),
            // Read-only (a server demoted or not yet promoted), shutting down, or not accepting connections yet:
            // the coordinator is changing hands, which a wait rides out and a retry fixes.
            PostgresException { SqlState: "25006" or "57P01" or "57P02" or "57P03" } p => new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.PostgresUnavailable,
                $"The coordinator at {address} cannot do this now ({p.MessageText}); is it changing hands? Try again in a moment.", address.ToString(), e),
            PostgresException { SqlState: "42501" } p => new CitusHaException(CitusErrorKind.Unauthorized, ErrorIds.PostgresAuthenticationFailed,
                $"'{user}' may not do this on the coordinator at {address}: {p.MessageText}. Use the superuser (-PostgresCredential).", address.ToString(), e),
            PostgresException p => new CitusHaException(CitusErrorKind.Conflict, ErrorIds.PostgresFailed,
                $"The coordinator at {address} refused: {p.MessageText}{(p.Hint is { Length: > 0 } hint ? $" ({hint})" : string.Empty)}", address.ToString(), e),
            _ => new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.PostgresUnavailable,
                $"The coordinator's PostgreSQL at {address} cannot be reached: {e.Message}", address.ToString(), e),
        };
    }
}
