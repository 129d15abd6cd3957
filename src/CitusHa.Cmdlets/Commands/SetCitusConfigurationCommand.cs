using System.Collections;
using System.Management.Automation;
using CitusHa.Core.Operations;

namespace CitusHa.Commands;

/// <summary>
/// <para type="synopsis">Changes groups' dynamic configuration (as patronictl edit-config --set), showing every change; -WhatIf changes nothing.</para>
/// </summary>
[Cmdlet(VerbsCommon.Set, "CitusConfiguration", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(CitusConfigurationChange))]
public sealed class SetCitusConfigurationCommand : CitusGroupsCmdlet
{
    /// <summary>Settings by dotted path (ttl, synchronous_mode, postgresql.parameters.work_mem); $null removes one.</summary>
    [Parameter]
    [ValidateNotNull]
    public Hashtable? Setting { get; set; }

    /// <summary>PostgreSQL parameters (postgresql.parameters.*) by name; $null removes one.</summary>
    [Parameter]
    [ValidateNotNull]
    public Hashtable? PostgresParameter { get; set; }


    /// <summary>How long one member may take to answer, in seconds (default 30).</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int TimeoutSec { get; set; } = 30;

    protected override void ProcessRecord()
    {
        var settings = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Setting ?? [])
        {
            settings[entry.Key.ToString()!] = Unwrap(entry.Value);
        }

        foreach (DictionaryEntry entry in PostgresParameter ?? [])
        {
            settings[$"postgresql.parameters.{entry.Key}"] = Unwrap(entry.Value);
        }

        if (settings.Count == 0)
        {
            ThrowTerminatingError(ErrorRecords.From(new Core.Errors.CitusHaException(Core.Errors.CitusErrorKind.InvalidArgument, Core.Errors.ErrorIds.InvalidConfiguration,
                "Nothing to change: give -Setting @{ ttl = 30 } or -PostgresParameter @{ work_mem = '8MB' }.")));
        }

        var connection = ResolveConnection();
        if (!TryRunCore(ct => Configuration.GetAsync(connection, Group, ct), out var groups) || groups is null)
        {
            return;
        }

        foreach (var group in groups)
        {
            if (!TryRunCore(_ => Task.FromResult(ConfigurationPlan.Create(group.Config, settings)), out var plan) || plan is null)
            {
                continue;
            }

            if (plan.Changes.Count == 0)
            {
                WriteVerbose($"{group.Scope} group {group.Group}: the configuration already has these values.");
                continue;
            }

            var target = GroupTarget(group.Scope, group.Group);
            var diff = string.Join("; ", plan.Changes.Select(c => $"{c.Path}: {c.OldValue ?? "(absent)"} -> {c.NewValue ?? "(removed)"}"));
            if (ShouldProcess(target, $"Change the configuration: {diff}")
                && TryRunCore(ct => Configuration.ApplyAsync(connection, group.Group, plan, TimeSpan.FromSeconds(TimeoutSec), ct), out _))
            {
                foreach (var change in plan.Changes)
                {
                    WriteObject(OutputMapper.ToOutput(group.Scope, group.Group, change));
                }
            }
        }
    }

    private static object? Unwrap(object? value) => value is PSObject wrapped ? wrapped.BaseObject : value;
}
