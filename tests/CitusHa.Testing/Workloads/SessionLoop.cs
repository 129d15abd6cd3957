using Npgsql;

namespace CitusHa.Testing.Workloads;

/// <summary>
/// A client's session as the workloads use it: one connection, reopened after any failure, a step
/// run on it again and again until stopped. A failure closes the session before
/// <c>failed</c> is told, so the next step runs on a new connection.
/// </summary>
internal static class SessionLoop
{
    public static async Task RunAsync(string connectionString, Func<NpgsqlConnection, Task> step, Func<Exception, Task> failed, Action connected, CancellationToken stopping)
    {
        NpgsqlConnection? connection = null;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                try
                {
                    if (connection is null)
                    {
                        connection = new NpgsqlConnection(connectionString);
                        await connection.OpenAsync(stopping).ConfigureAwait(false);
                        connected();
                    }

                    await step(connection).ConfigureAwait(false);
                }
                catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException or IOException)
                {
                    if (connection is not null)
                    {
                        await connection.DisposeAsync().ConfigureAwait(false);
                        connection = null;
                    }

                    await failed(e).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopped, also in the middle of a step or a pause.
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
