using System.Management.Automation;
using CitusHa.Completers;
using CitusHa.Core.Operations;

namespace CitusHa.Commands;

/// <summary>
/// <para type="synopsis">Restarts PostgreSQL on members of a group, replicas first and the leader last, now or at a scheduled time.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Restart, "CitusMember", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(CitusMemberActionResult))]
public sealed class RestartCitusMemberCommand : CitusConnectedCmdlet
{
    /// <summary>The Citus group (0 is the coordinator). Not needed for a plain, single-group cluster.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(GroupCompleter))]
    public int? Group { get; set; }

    /// <summary>Only these members; omitted: every member of the group.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(MemberCompleter))]
    public string[]? Member { get; set; }

    /// <summary>Only members whose PostgreSQL waits for a restart to apply settings (pending_restart).</summary>
    [Parameter]
    public SwitchParameter Pending { get; set; }

    /// <summary>Only members in this role: primary or replica.</summary>
    [Parameter]
    [ValidateSet("primary", "replica")]
    public string? Role { get; set; }

    /// <summary>Restart at this time instead of now (each member schedules its own).</summary>
    [Parameter]
    public DateTimeOffset? ScheduledAt { get; set; }

    /// <summary>How long one member's PostgreSQL may take to start again, in seconds (default 120).</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int TimeoutSec { get; set; } = 120;

    /// <summary>Go ahead without asking for confirmation.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var connection = ResolveConnection();
        var request = new MemberRestartRequest(Group, Member ?? [], Pending, Role, ScheduledAt, TimeSpan.FromSeconds(TimeoutSec));
        if (!TryRunCore(ct => MemberActions.SelectAsync(connection, request, ct), out var selection))
        {
            return;
        }

        var (group, members) = selection;
        foreach (var member in members)
        {
            var action = ScheduledAt is { } at ? $"Restart PostgreSQL at {at:O}" : "Restart PostgreSQL";
            if (ConfirmDisruptive(Force, $"{member.Name} ({(member.Name == group.Leader ? "leader" : "standby")} of {GroupTarget(connection.Scope, group.Group)})", action)
                && TryRunCore(ct => MemberActions.RestartAsync(connection, member, request, ct), out var result) && result is not null)
            {
                WriteObject(OutputMapper.ToOutput(result));
            }
        }
    }
}
