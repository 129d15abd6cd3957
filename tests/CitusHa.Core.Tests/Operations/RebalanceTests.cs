using CitusHa.Core.Errors;
using CitusHa.Core.Model;
using CitusHa.Core.Operations;

namespace CitusHa.Core.Tests.Operations;

/// <summary>Reading Citus' job reports (the details JSON of citus_job_status, as real Citus 13 writes it) and the rebalance errors.</summary>
public sealed class RebalanceTests
{
    // A running job's details as citus_job_status writes them (non-raw: sizes pretty-printed).
    private const string RunningDetails = """
        {"tasks": [{"LSN": {"lag": null, "source": "0/3B2A4F8", "target": null}, "size": {"source": "29 MB", "target": "26 MB"},
                    "hosts": {"source": "w1-0.db:5432", "target": "w2-0.db:5432"}, "phase": "Copying Data", "state": "running",
                    "command": "SELECT pg_catalog.citus_move_shard_placement(102008,2,3,'auto')", "message": "", "retried": 0, "task_id": 4}],
         "task_state_counts": {"done": 3, "blocked": 4, "running": 1}}
        """;

    private const string FailedDetails = """
        {"tasks": [{"state": "error", "command": "SELECT pg_catalog.citus_move_shard_placement(102009,2,3,'auto')",
                    "message": "ERROR:  connection to the remote node w2-0.db:5432 failed\n", "retried": 3, "task_id": 5}],
         "task_state_counts": {"done": 3, "error": 1, "unscheduled": 4}}
        """;

    private static RebalanceJob Job(RebalanceState state, string? details)
    {
        var (counts, tasks) = RebalanceJob.ParseDetails(details);
        return new RebalanceJob("demo", "coord-0", 7, state, "Rebalance all colocation groups", null, null, counts, tasks);
    }

    [Fact]
    public void A_running_job_reports_its_counts_its_running_move_and_how_far_it_is()
    {
        var job = Job(RebalanceState.Running, RunningDetails);

        job.TasksTotal.ShouldBe(8);
        job.TasksDone.ShouldBe(3);
        job.PercentComplete.ShouldBe(37);
        job.IsTerminal.ShouldBeFalse();
        var move = job.Tasks.ShouldHaveSingleItem();
        move.ShouldBe(new RebalanceTask(4, "running", "SELECT pg_catalog.citus_move_shard_placement(102008,2,3,'auto')", 0, string.Empty, "Copying Data", "w1-0.db:5432", "w2-0.db:5432"));
        job.Describe().ShouldBe("job 7 running: 3 of 8 tasks done; Copying Data w1-0.db:5432 -> w2-0.db:5432");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("""{"tasks": [], "task_state_counts": null}""")]
    public void A_job_without_tasks_is_complete_only_when_finished(string? details)
    {
        Job(RebalanceState.Finished, details).PercentComplete.ShouldBe(100);
        Job(RebalanceState.Scheduled, details).PercentComplete.ShouldBe(0);
        Job(RebalanceState.Scheduled, details).TasksTotal.ShouldBe(0);
    }

    [Theory]
    [InlineData("scheduled", RebalanceState.Scheduled, false)]
    [InlineData("running", RebalanceState.Running, false)]
    [InlineData("cancelling", RebalanceState.Cancelling, false)]
    [InlineData("failing", RebalanceState.Failing, false)]
    [InlineData("finished", RebalanceState.Finished, true)]
    [InlineData("cancelled", RebalanceState.Cancelled, true)]
    [InlineData("failed", RebalanceState.Failed, true)]
    public void Citus_job_states_map_to_the_enum_and_only_three_are_terminal(string text, RebalanceState state, bool terminal)
    {
        RebalanceJob.ParseState(text).ShouldBe(state);
        Job(state, null).IsTerminal.ShouldBe(terminal);
    }

    [Fact]
    public void An_unknown_state_from_a_newer_Citus_is_named() =>
        Should.Throw<FormatException>(() => RebalanceJob.ParseState("paused")).Message.ShouldContain("'paused'");

    [Fact]
    public void A_failed_job_is_an_error_with_Citus_message_and_what_was_done()
    {
        var error = Rebalance.Failed(Job(RebalanceState.Failed, FailedDetails));

        error.ErrorId.ShouldBe(ErrorIds.RebalanceFailed);
        error.Kind.ShouldBe(CitusErrorKind.Failed);
        error.Message.ShouldContain("job 7 of 'demo' failed after 3 of 8 tasks");
        error.Message.ShouldContain("connection to the remote node w2-0.db:5432 failed");
        Rebalance.Failed(Job(RebalanceState.Cancelled, """{"tasks": [], "task_state_counts": {"done": 1, "cancelled": 2}}""")).Message
            .ShouldStartWith("The rebalance job 7 of 'demo' cancelled after 1 of 3 tasks.");
    }

    [Theory]
    [InlineData("A rebalance is already running as job 12", 12L)]
    [InlineData("A rebalance operation is already running as job 9", 9L)]
    [InlineData("could not acquire the lock required to rebalance public.numbered", null)]
    public void The_job_already_running_is_read_from_Citus_error(string message, long? job) =>
        Rebalance.AlreadyRunning(message).ShouldBe(job);

    [Fact]
    public void The_coordinator_is_group_0_s_leader_only_while_it_runs_as_primary()
    {
        static TopologyMember Member(string name, MemberRole role, string state) =>
            new("demo", 0, name, "10.0.0.1", 5432, role, state, 1, null, null, null, false, new Dictionary<string, string>(), null, null, null);
        GroupTopology Group(string? leader, params TopologyMember[] members) => new("demo", 0, leader, null, false, "off", null, members);

        CoordinatorSql.Primary(Group("c0", Member("c0", MemberRole.Leader, "running"), Member("c1", MemberRole.Replica, "streaming")))
            .ShouldBe(new CoordinatorSql.Address("c0", "10.0.0.1", 5432));
        CoordinatorSql.Primary(Group("c0", Member("c0", MemberRole.Leader, "starting"))).ShouldBeNull("not running yet");
        CoordinatorSql.Primary(Group(null, Member("c1", MemberRole.Replica, "streaming"))).ShouldBeNull("no leader");
    }
}
