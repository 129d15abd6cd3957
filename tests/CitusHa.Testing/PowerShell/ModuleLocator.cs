using System.Text.RegularExpressions;

namespace CitusHa.Testing.PowerShell;

/// <summary>Finds the built module (out/CitusHa/&lt;version&gt;/CitusHa.psd1) from the repository root.</summary>
public static partial class ModuleLocator
{
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CitusHa.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"CitusHa.sln was not found above {AppContext.BaseDirectory}.");
    }

    public static string Version()
    {
        var props = File.ReadAllText(Path.Combine(RepositoryRoot(), "Directory.Build.props"));
        var match = VersionPrefix().Match(props);
        return match.Success ? match.Groups[1].Value : throw new InvalidOperationException("No VersionPrefix in Directory.Build.props.");
    }

    /// <summary>$CITUSHA_MODULE_PATH when set, else out/CitusHa/&lt;version&gt;/CitusHa.psd1.</summary>
    public static string ManifestPath()
    {
        var path = Environment.GetEnvironmentVariable("CITUSHA_MODULE_PATH") is { Length: > 0 } explicitPath
            ? explicitPath
            : Path.Combine(RepositoryRoot(), "out", "CitusHa", Version(), "CitusHa.psd1");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"The built module is not at {path}. Build it first: dotnet build CitusHa.sln (or ./build.sh build).", path);
    }

    [GeneratedRegex("<VersionPrefix>([^<]+)</VersionPrefix>")]
    private static partial Regex VersionPrefix();
}
