using System.Management.Automation;
using CitusHa.Completers;

namespace CitusHa.Commands;

/// <summary>A cmdlet that acts on some or all groups of a formation (-Group, by property name too).</summary>
public abstract class CitusGroupsCmdlet : CitusConnectedCmdlet
{
    /// <summary>Only these Citus groups (0 is the coordinator); omitted or null: every group.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [AllowEmptyCollection]
    [ArgumentCompleter(typeof(GroupCompleter))]
    public int[]? Group { get; set; }
}
