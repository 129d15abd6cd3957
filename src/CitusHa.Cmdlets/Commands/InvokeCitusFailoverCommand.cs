using System.Management.Automation;
using CitusHa.Completers;
using CitusHa.Core.Operations;

namespace CitusHa.Commands;

/// <summary>
/// <para type="synopsis">Promotes a named member of a group now, whether or not the group has a healthy leader.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "CitusFailover", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(CitusSwitchoverResult))]
public sealed class InvokeCitusFailoverCommand : CitusConnectedCmdlet
{
    /// <summary>The Citus group (0 is the coordinator). Not needed for a plain, single-group cluster.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(GroupCompleter))]
    public int? Group { get; set; }

    /// <summary>The member to promote. Binds a piped member's Member property.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Member")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(MemberCompleter))]
    public string Candidate { get; set; } = string.Empty;

    /// <summary>How long to wait for the candidate to accept writes, in seconds (default 60).</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int TimeoutSec { get; set; } = 60;

    /// <summary>Go ahead without asking for confirmation.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var connection = ResolveConnection();
        if (!TryRunCore(_ => Task.FromResult(new SwitchoverRequest(Group, Candidate, null, TimeSpan.FromSeconds(TimeoutSec), failover: true)), out var request) || request is null)
        {
            return;
        }

        var target = GroupTarget(connection.Scope, request.Group);
        if (!ConfirmDisruptive(Force, target, $"Fail over to {request.Candidate}"))
        {
            return;
        }

        WriteObject(OutputMapper.ToOutput(RunCoreWithProgress(2, (progress, ct) => Switchover.RunAsync(connection, request, progress, ct))));
    }
}
