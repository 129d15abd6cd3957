using System.Globalization;

namespace CitusHa.Core.Adapters.Postgres;

/// <summary>The first line of a data directory's postmaster.pid: the PID of the postmaster that claims it.</summary>
public static class PostmasterPidFile
{
    /// <summary>The PID written there; null when there is no such file (PostgreSQL stopped cleanly) or it cannot be read.</summary>
    public static int? Read(string dataDirectory)
    {
        var file = Path.Combine(dataDirectory, "postmaster.pid");
        try
        {
            return File.Exists(file) && int.TryParse(File.ReadLines(file).FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
