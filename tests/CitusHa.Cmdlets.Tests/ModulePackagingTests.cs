using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using System.Reflection;
using System.Runtime.Loader;
using CitusHa.Testing.PowerShell;

namespace CitusHa.Cmdlets.Tests;

/// <summary>The built module's shape: manifest, exports, isolation, format and help.</summary>
[Collection(ModuleCollectionDefinition.Name)]
public sealed class ModulePackagingTests(ModuleFixture fixture)
{
    private static string ModuleDirectory => Path.GetDirectoryName(ModuleLocator.ManifestPath())!;

    private static Hashtable Manifest()
    {
        var ast = Parser.ParseFile(ModuleLocator.ManifestPath(), out _, out var errors);
        errors.ShouldBeEmpty();
        var hashtable = ast.Find(a => a is HashtableAst, searchNestedScriptBlocks: false) as HashtableAst;
        return (Hashtable)hashtable!.SafeGetValue();
    }

    [Fact]
    public void The_module_imports_at_the_version_of_the_build()
    {
        var result = fixture.Session.Invoke("Get-Module CitusHa");
        var module = (PSModuleInfo)result.Output.ShouldHaveSingleItem().BaseObject;
        module.Version.ShouldBe(Version.Parse(ModuleLocator.Version()));
        module.ModuleType.ShouldBe(ModuleType.Binary);
        module.CompatiblePSEditions.ShouldBe(["Core"]);
        module.PowerShellVersion.ShouldBe(new Version(7, 4));
    }

    [Fact]
    public void The_exported_cmdlets_are_exactly_the_manifest_list_and_every_cmdlet_class()
    {
        var manifest = Manifest();
        var listed = ((object[])manifest["CmdletsToExport"]!).Cast<string>().Order().ToList();
        ((object[])manifest["FunctionsToExport"]!).ShouldBeEmpty();
        ((object[])manifest["AliasesToExport"]!).ShouldBeEmpty();
        ((object[])manifest["VariablesToExport"]!).ShouldBeEmpty();

        var module = (PSModuleInfo)fixture.Session.Invoke("Get-Module CitusHa").Output.Single().BaseObject;
        module.ExportedCmdlets.Keys.Order().ShouldBe(listed);

        var declared = module.ImplementingAssembly.GetTypes()
            .Select(t => t.GetCustomAttribute<CmdletAttribute>())
            .Where(a => a is not null)
            .Select(a => $"{a!.VerbName}-{a.NounName}")
            .Order()
            .ToList();
        declared.ShouldBe(listed, "every cmdlet class must be listed in CmdletsToExport, and nothing else");
    }

    [Fact]
    public void The_manifest_carries_the_gallery_metadata()
    {
        var psData = (Hashtable)((Hashtable)Manifest()["PrivateData"]!)["PSData"]!;
        var tags = ((object[])psData["Tags"]!).Cast<string>().ToList();
        foreach (var tag in new[] { "PSEdition_Core", "Linux", "Windows", "MacOS", "Kubernetes", "Citus", "PostgreSQL" })
        {
            tags.ShouldContain(tag);
        }

        psData["ProjectUri"].ShouldNotBeNull();
        psData["LicenseUri"].ShouldNotBeNull();
        psData["ReleaseNotes"].ShouldNotBeNull();
    }

    [Fact]
    public void Only_the_cmdlet_assembly_sits_at_the_module_root()
    {
        Directory.GetFiles(ModuleDirectory, "*.dll").Select(Path.GetFileName).ShouldBe(["CitusHa.dll"]);
        var dependencies = Directory.GetFiles(Path.Combine(ModuleDirectory, "Dependencies"), "*.dll").Select(Path.GetFileName).ToList();
        dependencies.ShouldContain("CitusHa.Core.dll");
        dependencies.ShouldContain("YamlDotNet.dll");
        dependencies.ShouldContain("dotnet-etcd.dll");
    }

    [Fact]
    public void The_engine_and_its_YamlDotNet_load_in_the_modules_own_context_beside_the_hosts_older_YamlDotNet()
    {
        var file = Path.Combine(Path.GetTempPath(), $"citusha-{Guid.NewGuid():N}.yml");
        File.WriteAllText(file, $"scope: absent\nnamespace: {ModuleFixture.UniqueNamespace()}\netcd3:\n  hosts: {fixture.Etcd.Endpoint}\n");
        try
        {
            // Reading YAML forces the module's YamlDotNet to load.
            var result = fixture.Session.Invoke("Get-CitusTopology -ConfigFile $args[0]", file);
            result.Terminating.ShouldBeNull(result.Describe());
            result.Errors.ShouldHaveSingleItem().FullyQualifiedErrorId.ShouldStartWith("ClusterNotFound,");
        }
        finally
        {
            File.Delete(file);
        }

        fixture.HostYamlDotNet.GetName().Version.ShouldBe(ModuleFixture.HostYamlVersion);
        AssemblyLoadContext.GetLoadContext(fixture.HostYamlDotNet).ShouldBe(AssemblyLoadContext.Default);

        var isolated = AssemblyLoadContext.All.Single(c => c.Name == "CitusHa.Dependencies");
        var names = isolated.Assemblies.Select(a => a.GetName()).ToList();
        names.ShouldContain(n => n.Name == "CitusHa.Core");
        var moduleYaml = names.Single(n => n.Name == "YamlDotNet");
        moduleYaml.Version!.Major.ShouldBeGreaterThan(ModuleFixture.HostYamlVersion.Major);
        AssemblyLoadContext.Default.Assemblies.ShouldNotContain(a => a.GetName().Name == "CitusHa.Core", "Core must never land in the default context");
    }

    [Fact]
    public void Every_assembly_in_the_module_runs_on_dotnet_8_for_PowerShell_7_4()
    {
        // Azure Automation's PowerShell 7.4 runs on .NET 8, which this machine does not have: so no
        // assembly of the module may reference a framework assembly newer than .NET 8's. Anything
        // referenced that the module does not ship must come from the framework (or PowerShell).
        var files = Directory.GetFiles(ModuleDirectory, "*.dll", SearchOption.AllDirectories);
        files.Length.ShouldBeGreaterThan(5);
        var shipped = files.Select(Path.GetFileNameWithoutExtension).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var file in files)
        {
            foreach (var (name, version) in References(file).Where(r => !shipped.Contains(r.Name)))
            {
                if (name is "System.Management.Automation" or "Microsoft.PowerShell.CoreCLR.Eventing")
                {
                    continue; // the host's own
                }

                (name.StartsWith("System", StringComparison.Ordinal) || name.StartsWith("Microsoft.", StringComparison.Ordinal) || name is "netstandard" or "mscorlib")
                    .ShouldBeTrue($"{Path.GetFileName(file)} needs {name} {version}, which the module does not ship");
                version.Major.ShouldBeLessThanOrEqualTo(8, $"{Path.GetFileName(file)} references {name} {version}, newer than .NET 8");
            }
        }
    }

    [Fact]
    public void The_cmdlet_assembly_references_only_the_framework_PowerShell_and_the_engine()
    {
        // A cmdlet that touched a gRPC or YamlDotNet type directly would bind it in the default
        // context, beside whatever version the host has: everything third-party goes through Core.
        var references = References(Path.Combine(ModuleDirectory, "CitusHa.dll")).Select(r => r.Name).ToList();
        references.ShouldContain("CitusHa.Core");
        references.Where(n => !(n.StartsWith("System", StringComparison.Ordinal) || n is "netstandard" or "CitusHa.Core" or "Microsoft.PowerShell.CoreCLR.Eventing"))
            .ShouldBeEmpty();
    }

    [Fact]
    public void Every_assembly_in_the_isolated_context_comes_from_the_Dependencies_folder()
    {
        fixture.Session.Invoke("Get-CitusTopology -Endpoint 127.0.0.1:1 -TimeoutSec 1 -ErrorAction SilentlyContinue").ShouldNotBeNull();
        var isolated = AssemblyLoadContext.All.Single(c => c.Name == "CitusHa.Dependencies");
        var dependencies = Path.Combine(ModuleDirectory, "Dependencies");
        isolated.Assemblies.ShouldNotBeEmpty();
        foreach (var assembly in isolated.Assemblies)
        {
            Path.GetDirectoryName(assembly.Location).ShouldBe(dependencies, assembly.FullName);
        }
    }

    private static List<(string Name, Version Version)> References(string file)
    {
        using var stream = File.OpenRead(file);
        using var pe = new System.Reflection.PortableExecutable.PEReader(stream);
        var metadata = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
        return metadata.AssemblyReferences
            .Select(h => metadata.GetAssemblyReference(h))
            .Select(r => (metadata.GetString(r.Name), r.Version))
            .ToList();
    }

    [Fact]
    public void The_format_file_is_valid_and_listed_in_the_manifest()
    {
        var manifest = Manifest();
        var formats = ((object[])manifest["FormatsToProcess"]!).Cast<string>().ToList();
        formats.ShouldBe(["CitusHa.Format.ps1xml"]);
        var table = new FormatTable(formats.Select(f => Path.Combine(ModuleDirectory, f)));
        table.ShouldNotBeNull();
    }

    [Fact]
    public void Every_cmdlet_has_written_help_with_an_example_and_described_parameters()
    {
        var names = ((object[])Manifest()["CmdletsToExport"]!).Cast<string>();
        foreach (var name in names)
        {
            var help = fixture.Session.Invoke("Get-Help $args[0] -Full", name).Output.ShouldHaveSingleItem();
            var synopsis = help.Properties["Synopsis"].Value?.ToString()?.Trim() ?? string.Empty;
            synopsis.ShouldNotStartWith(name, customMessage: $"{name} has only the auto-generated syntax stub as help");
            synopsis.Length.ShouldBeGreaterThan(20);

            var examples = fixture.Session.Invoke("@((Get-Help $args[0] -Examples).examples.example).Count", name).Output.Single().BaseObject;
            ((int)examples).ShouldBeGreaterThan(0, $"{name} needs at least one example");

            var undocumented = fixture.Session.Invoke(
                "(Get-Help $args[0] -Full).parameters.parameter | Where-Object { $null -ne $_ -and -not $_.description } | ForEach-Object { $_.name }", name).Output;
            undocumented.ShouldBeEmpty($"{name} has parameters without a description");

            var missing = fixture.Session.Invoke("""
                $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
                $documented = @((Get-Help $args[0] -Full).parameters.parameter | ForEach-Object { $_.name })
                (Get-Command $args[0]).Parameters.Keys | Where-Object { $_ -notin $common -and $_ -notin $documented }
                """, name).Output.Select(o => o.ToString());
            missing.ShouldBeEmpty($"{name} has parameters its help does not describe");
        }
    }

    [Fact]
    public void Every_output_type_of_the_module_has_a_format_view()
    {
        var result = fixture.Session.Invoke("Get-Command -Module CitusHa | ForEach-Object { $_.OutputType.Name }");
        result.Terminating.ShouldBeNull(result.Describe());
        var types = result.Output.Select(o => o.ToString()).Where(t => t.StartsWith("CitusHa.", StringComparison.Ordinal)).Distinct().ToList();
        types.ShouldContain("CitusHa.CitusRebalanceJob");
        types.Count.ShouldBeGreaterThanOrEqualTo(10, string.Join(", ", types));

        var views = System.Xml.Linq.XDocument.Load(Path.Combine(ModuleDirectory, "CitusHa.Format.ps1xml"))
            .Descendants("ViewSelectedBy").SelectMany(v => v.Elements("TypeName")).Select(e => e.Value.Trim()).ToHashSet();
        types.Where(t => !views.Contains(t)).ShouldBeEmpty("output types without a view in CitusHa.Format.ps1xml");
    }

    [Fact]
    public void The_about_topic_is_found()
    {
        var result = fixture.Session.Invoke("Get-Help about_CitusHa");
        result.Terminating.ShouldBeNull(result.Describe());
        string.Join("\n", result.Output.Select(o => o.ToString())).ShouldContain("CITUSHA_ETCD_HOSTS", customMessage: result.Describe());
    }

    [Fact]
    public void The_resolver_stays_hooked_while_any_runspace_has_the_module_and_is_unhooked_after_the_last_removal()
    {
        using var second = ModuleSession.Open();
        var initializer = ((PSModuleInfo)second.Invoke("Get-Module CitusHa").Output.Single().BaseObject)
            .ImplementingAssembly.GetType("CitusHa.Isolation.ModuleInitializer", throwOnError: true)!;
        var hooked = initializer.GetProperty("IsResolverHooked", BindingFlags.NonPublic | BindingFlags.Static)!;
        bool IsHooked() => (bool)hooked.GetValue(null)!;
        IsHooked().ShouldBeTrue();

        second.Invoke("Remove-Module CitusHa").Terminating.ShouldBeNull();
        IsHooked().ShouldBeTrue("the fixture's runspace still has the module imported");

        fixture.Session.Invoke("Remove-Module CitusHa").Terminating.ShouldBeNull();
        IsHooked().ShouldBeFalse("OnRemove of the last import must unhook AssemblyLoadContext.Default.Resolving");

        var again = fixture.Session.Invoke("Import-Module $args[0] -PassThru", fixture.Session.ManifestPath);
        again.Terminating.ShouldBeNull(again.Describe());
        IsHooked().ShouldBeTrue();
        fixture.Session.Invoke("Get-Command Get-CitusTopology").Output.ShouldHaveSingleItem();
    }
}
