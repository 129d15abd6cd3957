using System.Reflection;
using System.Runtime.Loader;

namespace CitusHa.Isolation;

/// <summary>
/// Loads CitusHa.Core and every third-party assembly from the module's <c>Dependencies/</c> folder,
/// apart from whatever versions the host or other modules (Az, for one) loaded into the default context.
/// Names not found there fall back to the default context (the .NET framework itself).
/// </summary>
internal sealed class DependencyLoadContext : AssemblyLoadContext
{
    private readonly string dependencyDirectory;

    public DependencyLoadContext(string dependencyDirectory)
        : base("CitusHa.Dependencies", isCollectible: false)
    {
        this.dependencyDirectory = dependencyDirectory;
    }

    public string DependencyDirectory => dependencyDirectory;

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var path = PathOf(assemblyName);
        return path is null ? null : LoadFromAssemblyPath(path);
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        var path = Path.Combine(dependencyDirectory, unmanagedDllName);
        return File.Exists(path) ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
    }

    /// <summary>The file for <paramref name="assemblyName"/> in Dependencies/, or null when there is none.</summary>
    public string? PathOf(AssemblyName assemblyName)
    {
        if (string.IsNullOrEmpty(assemblyName.Name))
        {
            return null;
        }

        var path = Path.Combine(dependencyDirectory, assemblyName.Name + ".dll");
        return File.Exists(path) ? path : null;
    }
}
