using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace CitusHa.Isolation;

/// <summary>
/// Hooks the default context's <see cref="AssemblyLoadContext.Resolving"/> event on import so that the
/// one assembly the cmdlets reference directly, CitusHa.Core, is loaded into
/// <see cref="DependencyLoadContext"/>; everything Core needs then resolves inside that context.
/// The handler answers only Core's name and only when the file exists: a handler that forwards every
/// name recurses until the process dies. Imports are counted across runspaces (ForEach-Object -Parallel,
/// thread jobs and hosted runspaces share this process): the handler is unhooked when the last
/// runspace that imported the module removes it.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    internal const string EngineAssemblyName = "CitusHa.Core";
    internal const string DependencyFolderName = "Dependencies";

    private static readonly object Gate = new();
    private static DependencyLoadContext? context;
    private static int importCount;

    /// <summary>The isolated context, once the module is imported (tests inspect it).</summary>
    internal static DependencyLoadContext? Context => context;

    /// <summary>True while at least one runspace has the module imported (tests inspect it).</summary>
    internal static bool IsResolverHooked
    {
        get
        {
            lock (Gate)
            {
                return importCount > 0;
            }
        }
    }

    public void OnImport()
    {
        lock (Gate)
        {
            // The context is made once per process: it cannot be unloaded while objects created from
            // its types may still live in the session, so a re-import reuses it.
            if (context is null)
            {
                var moduleDirectory = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)
                    ?? throw new InvalidOperationException("The CitusHa module cannot tell where its assembly was loaded from.");
                context = new DependencyLoadContext(Path.Combine(moduleDirectory, DependencyFolderName));
            }

            if (importCount++ == 0)
            {
                AssemblyLoadContext.Default.Resolving += ResolveEngine;
            }
        }
    }

    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        lock (Gate)
        {
            if (importCount > 0 && --importCount == 0)
            {
                AssemblyLoadContext.Default.Resolving -= ResolveEngine;
            }
        }
    }

    private static Assembly? ResolveEngine(AssemblyLoadContext requestingContext, AssemblyName name)
    {
        var isolated = context;
        if (isolated is null || !string.Equals(name.Name, EngineAssemblyName, StringComparison.Ordinal) || isolated.PathOf(name) is null)
        {
            return null;
        }

        return isolated.LoadFromAssemblyName(name);
    }
}
