using System.Diagnostics;

namespace CitusHa.Core.Citus;

/// <summary>Whether the Citus extension is installed next to the PostgreSQL binaries the agent runs.</summary>
public static class CitusLibrary
{
    /// <summary>citus.so in PostgreSQL's pkglibdir (from pg_config when present, else bin/../lib as on Debian).</summary>
    public static bool IsInstalled(string binDirectory)
    {
        ArgumentNullException.ThrowIfNull(binDirectory);
        return File.Exists(Path.Combine(PackageLibraryDirectory(binDirectory), "citus.so"));
    }

    private static string PackageLibraryDirectory(string binDirectory)
    {
        var pgConfig = Path.Combine(binDirectory, "pg_config");
        if (File.Exists(pgConfig))
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo(pgConfig, "--pkglibdir") { RedirectStandardOutput = true, UseShellExecute = false });
                if (process is not null)
                {
                    var output = process.StandardOutput.ReadToEnd().Trim();
                    if (process.WaitForExit(5000) && process.ExitCode == 0 && Directory.Exists(output))
                    {
                        return output;
                    }
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not runnable: fall back to the layout.
            }
        }

        return Path.GetFullPath(Path.Combine(binDirectory, "..", "lib"));
    }
}
