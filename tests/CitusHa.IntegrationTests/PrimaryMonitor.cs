using CitusHa.Testing.Workloads;
using Npgsql;

namespace CitusHa.IntegrationTests;

/// <summary>
/// Samples every member many times a second: which ones accept writes (not in recovery, not
/// read-only)? Records every round in which more than one did.
/// </summary>
public sealed class PrimaryMonitor : BackgroundWork
{
    private readonly IReadOnlyList<(string Name, string ConnectionString)> members;
    private readonly List<string> violations = [];

    public PrimaryMonitor(IReadOnlyList<(string Name, string ConnectionString)> members)
    {
        this.members = members;
    }

    public int Rounds { get; private set; }

    public IReadOnlyList<string> Violations
    {
        get
        {
            lock (violations)
            {
                return [.. violations];
            }
        }
    }

    public void Start() => StartLoop();

    protected override async Task RunAsync()
    {
        var connections = new NpgsqlConnection?[members.Count];
        while (!Stopping.IsCancellationRequested)
        {
            var writable = new List<string>();
            for (var i = 0; i < members.Count; i++)
            {
                try
                {
                    if (connections[i] is null)
                    {
                        connections[i] = new NpgsqlConnection(members[i].ConnectionString);
                        await connections[i]!.OpenAsync(Stopping);
                    }

                    await using var probe = new NpgsqlCommand("SELECT NOT pg_is_in_recovery() AND current_setting('default_transaction_read_only') = 'off'", connections[i]);
                    if ((bool)(await probe.ExecuteScalarAsync(Stopping))!)
                    {
                        writable.Add(members[i].Name);
                    }
                }
                catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException or IOException or OperationCanceledException)
                {
                    if (connections[i] is { } broken)
                    {
                        await broken.DisposeAsync();
                    }

                    connections[i] = null;
                }
            }

            Rounds++;
            if (writable.Count > 1)
            {
                lock (violations)
                {
                    violations.Add($"{DateTime.UtcNow:HH:mm:ss.fff}: {string.Join(", ", writable)} all writable");
                }
            }

            try
            {
                await Task.Delay(50, Stopping);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        foreach (var connection in connections)
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }
}
