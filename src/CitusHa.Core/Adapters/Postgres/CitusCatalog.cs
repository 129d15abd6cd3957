using System.Globalization;
using CitusHa.Core.Citus;
using CitusHa.Core.Errors;
using CitusHa.Core.Postgres;
using Npgsql;

namespace CitusHa.Core.Adapters.Postgres;

/// <summary>
/// The coordinator's own connection to the Citus database, over the local socket, on which
/// pg_dist_node is changed. One connection, used by one worker at a time: a transaction opened for
/// a worker's before_demote stays open across HA cycles (statement and idle-in-transaction
/// timeouts are off on it for that reason, as in Patroni). Any failure closes the connection, so an
/// open transaction is never left half-known.
/// </summary>
public sealed class CitusCatalog(PostgresOptions options, string database) : IAsyncDisposable
{
    private NpgsqlConnection? connection;

    public bool InTransaction { get; private set; }

    /// <summary>Whether the database has Citus' node catalog (the extension, or the test lane's stand-in).</summary>
    public async Task<bool> HasCatalogAsync(CancellationToken cancellationToken)
    {
        var found = await ScalarAsync("SELECT pg_catalog.to_regclass('pg_catalog.pg_dist_node') IS NOT NULL", cancellationToken).ConfigureAwait(false);
        return found is true;
    }

    /// <summary>Every group's rows, as the transition rules see them.</summary>
    public Task<IReadOnlyList<PgDistGroup>> LoadAsync(CancellationToken cancellationToken) => RunAsync<IReadOnlyList<PgDistGroup>>("SELECT groupid, nodename, nodeport, noderole, nodeid FROM pg_catalog.pg_dist_node", async c =>
    {
        await using var command = new NpgsqlCommand("SELECT groupid, nodename, nodeport, noderole::text, nodeid FROM pg_catalog.pg_dist_node ORDER BY nodeid", c);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<(int Group, PgDistNode Node)>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add((reader.GetInt32(0), PgDistNode.FromRow(reader.GetString(1), reader.GetInt32(2), reader.GetString(3), reader.GetInt32(4))));
        }

        return rows.GroupBy(r => r.Group).Select(g => new PgDistGroup(g.Key, g.Select(r => r.Node).ToList())).ToList();
    }, cancellationToken);

    public async Task BeginAsync(CancellationToken cancellationToken)
    {
        await ExecuteAsync("BEGIN", cancellationToken).ConfigureAwait(false);
        InTransaction = true;
    }

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        await ExecuteAsync("COMMIT", cancellationToken).ConfigureAwait(false);
        InTransaction = false;
    }

    public async Task RollbackAsync(CancellationToken cancellationToken)
    {
        InTransaction = false;
        await ExecuteAsync("ROLLBACK", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs one transition step; returns the node id an add created.</summary>
    public Task<int?> ApplyAsync(PgDistStep step, TimeSpan cooldown, CancellationToken cancellationToken) => step switch
    {
        PgDistStep.Add add => RunAsync(step.ToString(), async c =>
        {
            await using var command = new NpgsqlCommand("SELECT pg_catalog.citus_add_node($1, $2, $3, $4::noderole, 'default')", c)
            {
                Parameters = { new() { Value = add.Host }, new() { Value = add.Port }, new() { Value = add.GroupId }, new() { Value = add.Role == PgDistRole.Primary ? "primary" : "secondary" } },
            };
            return (int?)Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        }, cancellationToken),
        PgDistStep.Update update => RunAsync(step.ToString(), async c =>
        {
            await using var command = new NpgsqlCommand("SELECT pg_catalog.citus_update_node($1, $2, $3, true, $4)", c)
            {
                Parameters = { new() { Value = update.NodeId }, new() { Value = update.NodeName }, new() { Value = update.Port }, new() { Value = (int)cooldown.TotalMilliseconds } },
            };
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return (int?)null;
        }, cancellationToken),
        PgDistStep.Remove remove => RunAsync(step.ToString(), async c =>
        {
            await using var command = new NpgsqlCommand("SELECT pg_catalog.citus_remove_node($1, $2)", c)
            {
                Parameters = { new() { Value = remove.Host }, new() { Value = remove.Port } },
            };
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return (int?)null;
        }, cancellationToken),
        _ => throw new ArgumentOutOfRangeException(nameof(step)),
    };

    /// <summary>Closes the connection (an open transaction is rolled back by the server).</summary>
    public async Task CloseAsync()
    {
        InTransaction = false;
        if (Interlocked.Exchange(ref connection, null) is { } open)
        {
            await open.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync() => await CloseAsync().ConfigureAwait(false);

    private Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken) => RunAsync(sql, async c =>
    {
        await using var command = new NpgsqlCommand(sql, c);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }, cancellationToken);

    private Task<object?> ScalarAsync(string sql, CancellationToken cancellationToken) => RunAsync(sql, async c =>
    {
        await using var command = new NpgsqlCommand(sql, c);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }, cancellationToken);

    private async Task<T> RunAsync<T>(string what, Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            connection ??= await OpenAsync(cancellationToken).ConfigureAwait(false);
            return await work(connection).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException or OperationCanceledException)
        {
            await CloseAsync().ConfigureAwait(false);
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.PostgresFailed, $"pg_dist_node: '{what}' failed in database '{database}': {e.Message}", database, e);
        }
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var builder = LocalSocket.Builder(options, database);
        builder.Pooling = false;
        builder.Timeout = 3;
        // citus_update_node with force waits for the group's locks up to its cooldown, then Citus cancels
        // the holders: a minute bounds a statement that still hangs.
        builder.CommandTimeout = 60;
        builder.ApplicationName = "citusha-metadata";
        builder.Options = "-c statement_timeout=0 -c idle_in_transaction_session_timeout=0";
        var opened = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await opened.OpenAsync(cancellationToken).ConfigureAwait(false);
            return opened;
        }
        catch
        {
            await opened.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
