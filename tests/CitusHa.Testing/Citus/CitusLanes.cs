using System.Diagnostics;
using Npgsql;
using Xunit;

namespace CitusHa.Testing.Citus;

/// <summary>
/// The two Citus test lanes (ENVIRONMENT.md): the stand-in (citus-standin.sql, everywhere) and real
/// Citus, which runs only where <c>citus</c> is among PostgreSQL's available extensions.
/// </summary>
public static class CitusLanes
{
    private static readonly Lazy<bool> RealCitus = new(() =>
    {
        // pg_available_extensions lists the .control files in the share directory: read the same place.
        var pgConfig = Path.Combine(Servers.ToolLocator.PostgresBinDir(), "pg_config");
        var share = "/usr/share/postgresql/15";
        if (File.Exists(pgConfig))
        {
            using var process = Process.Start(new ProcessStartInfo(pgConfig, "--sharedir") { RedirectStandardOutput = true, UseShellExecute = false });
            if (process is not null)
            {
                share = process.StandardOutput.ReadToEnd().Trim();
                process.WaitForExit();
            }
        }

        return File.Exists(Path.Combine(share, "extension", "citus.control"));
    });

    public static bool RealCitusAvailable => RealCitus.Value;

    public const string RealCitusMissing = "real-Citus lane: citus is not in pg_available_extensions on this machine (the stand-in lane covers the same stories)";

    /// <summary>The stand-in's SQL (embedded): creates pg_dist_node, pg_dist_authinfo and the Citus 13 functions the agent calls.</summary>
    public static string StandInSql()
    {
        using var stream = typeof(CitusLanes).Assembly.GetManifestResourceStream("CitusHa.Testing.Citus.citus-standin.sql")
            ?? throw new InvalidOperationException("citus-standin.sql is not embedded in CitusHa.Testing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Installs the stand-in into the database <paramref name="connectionString"/> names (once; it must be a primary).</summary>
    public static async Task InstallStandInAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(StandInSql(), connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>A fact of the real-Citus lane: reported as skipped where Citus is not installed.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RealCitusFactAttribute : FactAttribute
{
    public RealCitusFactAttribute()
    {
        if (!CitusLanes.RealCitusAvailable)
        {
            Skip = CitusLanes.RealCitusMissing;
        }
    }
}
