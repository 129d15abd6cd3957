namespace CitusHa.Testing.Servers;

/// <summary>Finds server binaries the way the install script puts them, or says how to get them.</summary>
public static class ToolLocator
{
    public const string InstallHint = "Run scripts/install-test-deps.sh (as root; it uses apt-get) or ./build.sh test, which calls it.";

    public static string? FindOnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>The etcd server binary: $CITUSHA_ETCD_BIN, then PATH.</summary>
    public static string Etcd(string? explicitPath = null)
    {
        var candidate = explicitPath ?? Environment.GetEnvironmentVariable("CITUSHA_ETCD_BIN") ?? FindOnPath("etcd");
        if (candidate is null || !File.Exists(candidate))
        {
            throw new SetupException(
                $"The etcd server binary was not found ({(candidate is null ? "no 'etcd' on PATH" : $"'{candidate}' does not exist")}). Install Debian's etcd-server package: {InstallHint}");
        }

        return candidate;
    }

    /// <summary>PostgreSQL's bin directory: $CITUSHA_PG_BINDIR, then Debian's versioned directories (newest first), then PATH.</summary>
    public static string PostgresBinDir(string? explicitDir = null)
    {
        var candidates = new List<string>();
        if (explicitDir is not null)
        {
            candidates.Add(explicitDir);
        }
        else
        {
            if (Environment.GetEnvironmentVariable("CITUSHA_PG_BINDIR") is { Length: > 0 } fromEnvironment)
            {
                candidates.Add(fromEnvironment);
            }

            if (Directory.Exists("/usr/lib/postgresql"))
            {
                candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                    .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                    .Select(d => Path.Combine(d, "bin")));
            }

            if (FindOnPath("initdb") is { } initdb)
            {
                candidates.Add(Path.GetDirectoryName(initdb)!);
            }
        }

        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "postgres")))
            ?? throw new SetupException(
                $"PostgreSQL server binaries (initdb, postgres) were not found in {(candidates.Count == 0 ? "/usr/lib/postgresql/*/bin or PATH" : string.Join(", ", candidates))}. Install Debian's postgresql-15 package: {InstallHint}");
    }
}
