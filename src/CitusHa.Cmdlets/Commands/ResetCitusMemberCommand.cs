using System.Management.Automation;
using CitusHa.Completers;
using CitusHa.Core.Operations;

namespace CitusHa.Commands;

/// <summary>
/// <para type="synopsis">Rebuilds a standby from its group's leader (stop, wipe, base backup, start) and waits until it streams again.</para>
/// </summary>
[Cmdlet(VerbsCommon.Reset, "CitusMember", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(CitusMemberActionResult))]
public sealed class ResetCitusMemberCommand : CitusConnectedCmdlet
{
    /// <summary>The Citus group (0 is the coordinator). Not needed for a plain, single-group cluster.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(GroupCompleter))]
    public int? Group { get; set; }

    /// <summary>The standby to rebuild. Binds a piped member's Member property.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(MemberCompleter))]
    public string Member { get; set; } = string.Empty;

    /// <summary>How long to wait for the member to stream again, in seconds (default 600).</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int TimeoutSec { get; set; } = 600;

    /// <summary>Return once the member has started the rebuild, without waiting for it to stream.</summary>
    [Parameter]
    public SwitchParameter NoWait { get; set; }

    /// <summary>Go ahead without asking for confirmation.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var connection = ResolveConnection();
        var target = $"{Member} ({GroupTarget(connection.Scope, Group)})";
        if (!ConfirmDisruptive(Force, target, "Wipe the data directory and rebuild it from the leader"))
        {
            return;
        }

        TimeSpan? wait = NoWait ? null : TimeSpan.FromSeconds(TimeoutSec);
        WriteObject(OutputMapper.ToOutput(RunCoreWithProgress(3, (progress, ct) => MemberActions.ReinitializeAsync(connection, Group, Member, wait, progress, ct))));
    }
}
