using CitusHa.Core.Errors;
using CitusHa.Core.Postgres;
using Npgsql;

namespace CitusHa.Core.Adapters.Postgres;

/// <summary>
/// What a new group's primary does once for Citus (Patroni's CitusHandler.bootstrap), plus keeping
/// the superuser's password in pg_dist_authinfo current. Runs over the local socket with
/// synchronous_commit=local: at bootstrap no replica exists to confirm commits.
/// </summary>
public sealed class CitusDatabaseSetup(PostgresOptions options, string database)
{
    /// <summary>CREATE DATABASE (an existing one is fine).</summary>
    public Task EnsureDatabaseAsync(CancellationToken cancellationToken) => RunAsync("postgres", async c =>
    {
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1", c) { Parameters = { new() { Value = database } } };
        if (await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null)
        {
            return;
        }

        await using var create = new NpgsqlCommand($"CREATE DATABASE {QuoteIdentifier(database)}", c);
        try
        {
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // Created meanwhile.
        }
    }, cancellationToken);

    public Task CreateExtensionAsync(CancellationToken cancellationToken) => RunAsync(database, async c =>
    {
        await using var command = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS citus", c);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }, cancellationToken);

    /// <summary>
    /// The superuser's password for Citus' node-to-node connections (nodeid 0 = every node), inserted
    /// or updated when it changed. The password is a bound parameter, so it never appears in a statement
    /// text or an error message; and the session logs no statements and no parameter values, so
    /// log_statement = all does not put it in the server log either.
    /// </summary>
    public Task EnsureAuthInfoAsync(string password, CancellationToken cancellationToken) => RunAsync(database, quiet: true, async c =>
    {
        var authInfo = "password=" + EscapeConnValue(password);
        await using var update = new NpgsqlCommand(
            "UPDATE pg_catalog.pg_dist_authinfo SET authinfo = $1 WHERE nodeid = 0 AND rolename = pg_catalog.current_user() AND authinfo IS DISTINCT FROM $1", c)
        { Parameters = { new() { Value = authInfo } } };
        await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await using var insert = new NpgsqlCommand(
            "INSERT INTO pg_catalog.pg_dist_authinfo SELECT 0, pg_catalog.current_user(), $1 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_authinfo WHERE nodeid = 0 AND rolename = pg_catalog.current_user())", c)
        { Parameters = { new() { Value = authInfo } } };
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }, cancellationToken);

    /// <summary>Registers the coordinator at bootstrap; later moves use citus_update_node (it reaches the workers' metadata).</summary>
    public Task SetCoordinatorHostAsync(string host, int port, CancellationToken cancellationToken) => RunAsync(database, async c =>
    {
        await using var command = new NpgsqlCommand("SELECT pg_catalog.citus_set_coordinator_host($1, $2, 'primary', 'default')", c)
        { Parameters = { new() { Value = host }, new() { Value = port } } };
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }, cancellationToken);

    private Task RunAsync(string db, Func<NpgsqlConnection, Task> work, CancellationToken cancellationToken) =>
        RunAsync(db, quiet: false, work, cancellationToken);

    private async Task RunAsync(string db, bool quiet, Func<NpgsqlConnection, Task> work, CancellationToken cancellationToken)
    {
        var builder = LocalSocket.Builder(options, db);
        builder.Pooling = false;
        builder.Timeout = 5;
        builder.CommandTimeout = 60;
        builder.ApplicationName = "citusha-agent";
        builder.Options = "-c synchronous_commit=local -c statement_timeout=0"
            + (quiet ? " -c log_statement=none -c log_min_duration_statement=-1 -c log_min_error_statement=panic -c log_parameter_max_length=0 -c log_parameter_max_length_on_error=0" : string.Empty);
        try
        {
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await work(connection).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.PostgresFailed, $"Citus setup in database '{db}' failed: {e.Message}", db, e);
        }
    }

    private static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>A libpq keyword value: quoted, with backslashes and quotes escaped.</summary>
    private static string EscapeConnValue(string value) => "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
}
