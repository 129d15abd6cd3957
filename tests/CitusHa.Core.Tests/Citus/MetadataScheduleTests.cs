using CitusHa.Core.Citus;

namespace CitusHa.Core.Tests.Citus;

/// <summary>The coordinator's task rules (Patroni's CitusHandler bookkeeping), one story each.</summary>
public sealed class MetadataScheduleTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    private static PgDistGroup Rows(int group, string rows) => PgDistTransitionTests.Group(rows) with { GroupId = group };

    private static CitusTask Reconcile(int group, string rows) => new(Rows(group, rows), CitusEventType.AfterPromote);

    private static CitusTask FromWorker(CitusEventType type, int group, string rows) => new(Rows(group, rows), type, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(3));

    private static MetadataSchedule Loaded(params PgDistGroup[] groups)
    {
        var schedule = new MetadataSchedule();
        schedule.LoadCache(groups);
        return schedule;
    }

    [Fact]
    public void A_task_that_matches_the_catalog_is_not_queued()
    {
        var schedule = Loaded(Rows(1, "a:primary#1,b:secondary#2"));

        schedule.TryAdd(Reconcile(1, "a:primary,b:secondary"), Now).ShouldBeFalse();
        schedule.Pending.ShouldBeEmpty();
    }

    [Fact]
    public void Before_the_catalog_was_read_every_task_is_queued()
    {
        var schedule = new MetadataSchedule();

        schedule.TryAdd(Reconcile(1, "a:primary"), Now).ShouldBeTrue();
        schedule.Wait(Now).ShouldBe(TimeSpan.Zero);
    }

    [Fact]
    public void The_coordinator_group_goes_first_then_the_oldest()
    {
        var schedule = Loaded();
        schedule.TryAdd(Reconcile(2, "c:primary"), Now);
        schedule.TryAdd(Reconcile(1, "a:primary"), Now);
        schedule.TryAdd(Reconcile(0, "k:primary"), Now);

        schedule.Pick()!.GroupId.ShouldBe(0);
        schedule.Complete(schedule.Pick()!, TaskOutcome.Committed);
        schedule.Pick()!.GroupId.ShouldBe(2);
    }

    [Fact]
    public void A_reconcile_never_replaces_a_worker_s_pending_task()
    {
        var schedule = Loaded(Rows(1, "a:primary#1,b:secondary#2"));
        var demote = FromWorker(CitusEventType.BeforeDemote, 1, "a:demoted");
        schedule.TryAdd(demote, Now).ShouldBeTrue();

        schedule.TryAdd(Reconcile(1, "a:primary"), Now).ShouldBeFalse();
        schedule.Pick().ShouldBeSameAs(demote);
    }

    [Fact]
    public void A_newer_worker_event_replaces_the_pending_one_and_releases_its_waiter()
    {
        var schedule = Loaded(Rows(1, "a:primary#1,b:secondary#2"));
        var demote = FromWorker(CitusEventType.BeforeDemote, 1, "a:demoted");
        schedule.TryAdd(demote, Now);
        var promote = FromWorker(CitusEventType.BeforePromote, 1, "b:primary");

        schedule.TryAdd(promote, Now).ShouldBeTrue();
        demote.Processed.IsCompleted.ShouldBeTrue();
        schedule.Pick().ShouldBeSameAs(promote);
    }

    [Fact]
    public void With_a_transaction_open_only_its_group_runs_and_reconciles_of_it_wait_for_the_deadline()
    {
        var schedule = Loaded(Rows(1, "a:primary#1,b:secondary#2"), Rows(2, "c:primary#3"));
        var demote = FromWorker(CitusEventType.BeforeDemote, 1, "a:demoted");
        demote.Deadline = Now.AddSeconds(10);
        schedule.TryAdd(demote, Now);
        schedule.Complete(schedule.Pick()!, TaskOutcome.InTransaction);

        schedule.InFlight.ShouldBeSameAs(demote);
        schedule.TryAdd(Reconcile(1, "a:primary,b:secondary"), Now.AddSeconds(5)).ShouldBeFalse();
        schedule.TryAdd(Reconcile(2, "d:primary"), Now.AddSeconds(5)).ShouldBeTrue();
        schedule.Pick().ShouldBeNull();
        schedule.Wait(Now.AddSeconds(5)).ShouldBe(TimeSpan.FromSeconds(5));
        schedule.RollbackDue(Now.AddSeconds(5)).ShouldBeFalse();
    }

    [Fact]
    public void A_transaction_past_its_deadline_is_rolled_back_once_other_work_waits()
    {
        var schedule = Loaded(Rows(1, "a:primary#1,b:secondary#2"));
        var demote = FromWorker(CitusEventType.BeforeDemote, 1, "a:demoted");
        demote.Deadline = Now.AddSeconds(10);
        schedule.TryAdd(demote, Now);
        schedule.Complete(schedule.Pick()!, TaskOutcome.InTransaction);

        schedule.RollbackDue(Now.AddSeconds(30)).ShouldBeFalse("nothing else waits: time alone does not roll back");
        schedule.Wait(Now.AddSeconds(30)).ShouldBeNull();
        schedule.TryAdd(Reconcile(1, "a:primary,b:secondary"), Now.AddSeconds(11)).ShouldBeTrue("past the deadline a reconcile may touch the group");
        schedule.RollbackDue(Now.AddSeconds(11)).ShouldBeTrue();

        schedule.AbandonTransaction();
        schedule.InFlight.ShouldBeNull();
        schedule.ReloadPending.ShouldBeTrue();
    }

    [Fact]
    public void A_committed_task_becomes_the_cache_and_a_failed_one_forces_a_reload()
    {
        var schedule = Loaded(Rows(1, "a:primary#1"));
        var task = Reconcile(1, "a:primary,b:secondary");
        task.Applied = Rows(1, "a:primary#1,b:secondary#7");
        schedule.TryAdd(task, Now);
        schedule.Complete(schedule.Pick()!, TaskOutcome.Committed);

        schedule.Cached(1)!.Nodes.ShouldContain(new PgDistNode("b", 5432, PgDistRole.Secondary, 7));
        task.Processed.IsCompleted.ShouldBeTrue();

        var failing = Reconcile(1, "b:primary");
        schedule.TryAdd(failing, Now);
        schedule.Complete(schedule.Pick()!, TaskOutcome.Failed);
        schedule.ReloadPending.ShouldBeTrue();
        failing.Processed.IsCompleted.ShouldBeTrue("a before_demote caller never waits for a task that failed");
    }

    [Fact]
    public void The_next_transition_starts_from_the_open_transaction_s_rows()
    {
        var schedule = Loaded(Rows(1, "a:primary#1,b:secondary#2"));
        var demote = FromWorker(CitusEventType.BeforeDemote, 1, "a:demoted");
        demote.Applied = Rows(1, "a:demoted#1,b:secondary#2");
        schedule.TryAdd(demote, Now);
        schedule.Complete(schedule.Pick()!, TaskOutcome.InTransaction);

        schedule.CurrentOf(1).Primary!.Role.ShouldBe(PgDistRole.Demoted);
        schedule.CurrentOf(2).Nodes.ShouldBeEmpty();
    }

    [Fact]
    public void Clearing_on_demote_releases_every_waiter()
    {
        var schedule = Loaded();
        var demote = FromWorker(CitusEventType.BeforeDemote, 1, "a:demoted");
        schedule.TryAdd(demote, Now);

        schedule.Clear();
        demote.Processed.IsCompleted.ShouldBeTrue();
        schedule.Pending.ShouldBeEmpty();
        schedule.ReloadPending.ShouldBeTrue();
    }

    [Fact]
    public void A_lapsed_leadership_wakes_the_worker_once_to_drop_its_transaction_and_never_spins()
    {
        var schedule = Loaded(Rows(1, "a:primary#1,b:secondary#2"));
        var demote = FromWorker(CitusEventType.BeforeDemote, 1, "a:demoted");
        schedule.TryAdd(demote, Now);
        schedule.Complete(schedule.Pick()!, TaskOutcome.InTransaction);
        var leadingUntil = Now + TimeSpan.FromSeconds(4);

        schedule.Wait(Now).ShouldBeNull("an open transaction alone is not rolled back by time");
        schedule.Wait(Now, leadingUntil).ShouldBe(TimeSpan.FromSeconds(4), "but the worker wakes when the leadership would end");
        schedule.Wait(leadingUntil + TimeSpan.FromSeconds(1), leadingUntil).ShouldBe(TimeSpan.Zero, "lapsed with a transaction open: drop it now");
        schedule.HasWork.ShouldBeTrue();

        schedule.Clear();
        schedule.HasWork.ShouldBeFalse();
        schedule.Wait(leadingUntil + TimeSpan.FromSeconds(2), leadingUntil).ShouldBeNull("nothing left: sleep until woken, no spin");
    }

    [Fact]
    public void While_leading_the_next_task_or_the_lapse_comes_first()
    {
        var schedule = Loaded();
        schedule.Wait(Now, Now + TimeSpan.FromSeconds(4)).ShouldBeNull("idle: nothing to wake for");
        schedule.TryAdd(Reconcile(1, "a:primary"), Now);
        schedule.Wait(Now, Now + TimeSpan.FromSeconds(4)).ShouldBe(TimeSpan.Zero);
        schedule.Wait(Now + TimeSpan.FromSeconds(5), Now + TimeSpan.FromSeconds(4)).ShouldBe(TimeSpan.Zero, "lapsed with a task queued: drop it");
    }
}
