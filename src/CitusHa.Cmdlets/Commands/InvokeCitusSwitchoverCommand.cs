using System.Management.Automation;
using CitusHa.Completers;
using CitusHa.Core.Operations;

namespace CitusHa.Commands;

/// <summary>
/// <para type="synopsis">Hands a group's leader role to a standby, gracefully, and returns when the new leader accepts writes.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "CitusSwitchover", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(CitusSwitchoverResult))]
public sealed class InvokeCitusSwitchoverCommand : CitusConnectedCmdlet
{
    /// <summary>The Citus group (0 is the coordinator). Not needed for a plain, single-group cluster.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(GroupCompleter))]
    public int? Group { get; set; }

    /// <summary>The standby to promote; omitted, the healthiest eligible standby. Binds a piped member's Member property.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Member")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(MemberCompleter))]
    public string? Candidate { get; set; }

    /// <summary>Run the switchover at this time instead of now (it must lie in the future).</summary>
    [Parameter]
    public DateTimeOffset? ScheduledAt { get; set; }

    /// <summary>How long to wait for the new leader to accept writes, in seconds (default 60).</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int TimeoutSec { get; set; } = 60;

    /// <summary>Go ahead without asking for confirmation.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var connection = ResolveConnection();
        if (!TryRunCore(_ => Task.FromResult(new SwitchoverRequest(Group, Candidate, ScheduledAt, TimeSpan.FromSeconds(TimeoutSec))), out var request) || request is null)
        {
            return;
        }

        var target = GroupTarget(connection.Scope, request.Group);
        var action = request.Candidate is null ? "Switch over to the healthiest standby" : $"Switch over to {request.Candidate}";
        if (request.ScheduledAt is { } at)
        {
            action += $" at {at:O}";
        }

        if (!ConfirmDisruptive(Force, target, action))
        {
            return;
        }

        WriteObject(OutputMapper.ToOutput(RunCoreWithProgress(1, (progress, ct) => Switchover.RunAsync(connection, request, progress, ct))));
    }
}
