using CitusHa.Core.Ha;

namespace CitusHa.Core.Tests.Ha;

/// <summary>
/// Every step between the sync key and synchronous_standby_names keeps the quorum rule: no commit is
/// acknowledged by a standby that a promotion would not consider, and no outgoing voter can win.
/// </summary>
public sealed class SyncStepTests
{
    public static TheoryData<string, string[]?, string[], bool, string[]?, bool> Rows => new()
    {
        { "no key yet: the key learns the voters first", null, ["a", "b"], false, ["a", "b"], true },
        { "nothing changes", ["a", "b"], ["b", "a"], false, null, false },
        { "nothing changes, PostgreSQL not yet configured", ["a"], ["a"], true, null, false },
        { "a voter joins: key first", ["a"], ["a", "b"], false, ["a", "b"], true },
        { "a voter leaves: PostgreSQL first", ["a", "b"], ["a"], false, ["a"], false },
        { "the last voter leaves: PostgreSQL first", ["a"], [], false, [], false },
        { "one voter replaced by another: grow to both first", ["a"], ["b"], false, ["a", "b"], true },
        { "two replaced, one kept: grow to all first", ["a", "b", "c"], ["a", "d", "e"], false, ["a", "b", "c", "d", "e"], true },
        { "PostgreSQL counts nobody yet: a replacement is one step", ["a"], ["b"], true, ["b"], true },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void The_next_step_keeps_the_quorum_rule(string situation, string[]? current, string[] target, bool fromAsynchronous, string[]? expectedVoters, bool expectedKeyFirst)
    {
        var step = SyncStep.Next(current, target, fromAsynchronous);
        if (expectedVoters is null)
        {
            step.ShouldBeNull(situation);
            return;
        }

        step.ShouldNotBeNull(situation);
        step.Voters.ShouldBe(expectedVoters, situation);
        step.KeyFirst.ShouldBe(expectedKeyFirst, situation);
    }

    [Fact]
    public void A_replacement_ends_in_two_steps_and_no_step_removes_and_adds_at_once()
    {
        IReadOnlyList<string>? current = ["a"];
        var steps = 0;
        while (SyncStep.Next(current, ["b"], startingFromAsynchronous: false) is { } step)
        {
            var added = step.Voters.Except(current).Any();
            var removed = current.Except(step.Voters).Any();
            (added && removed).ShouldBeFalse($"step {steps + 1} both adds and removes voters");
            current = step.Voters;
            steps++;
            steps.ShouldBeLessThan(5, "the steps converge");
        }

        current.ShouldBe(["b"]);
        steps.ShouldBe(2);
    }
}
