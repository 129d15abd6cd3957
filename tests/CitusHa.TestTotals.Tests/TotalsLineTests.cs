using CitusHa.TestTotals;

namespace CitusHa.TestTotals.Tests;

/// <summary>
/// The totals line CI reads. The TRX files under TestData were written by real xunit 2.9 runs (dotnet test
/// --logger trx) of a small project with passing, failing, skipped and host-crashing tests.
/// </summary>
public sealed class TotalsLineTests : IDisposable
{
    private readonly string _results = Directory.CreateTempSubdirectory("citusha-totals-").FullName;

    public void Dispose() => Directory.Delete(_results, recursive: true);

    private static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", name);

    private void Place(string fixture, string project) =>
        File.Copy(Data(fixture), Path.Combine(_results, project + ".trx"));

    private (Totals Totals, IReadOnlyList<string> Problems) Sum(
        string[] projects, int dotnetExit = 0, string? pesterOutput = null, int pesterExit = 0) =>
        new TestRunReport(_results, projects, dotnetExit, pesterOutput, pesterExit).Sum();

    private string PesterOutput(params string[] lines)
    {
        var path = Path.Combine(_results, "pester.txt");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void Xunit_skipped_tests_count_as_skipped_although_its_counters_say_notExecuted_0()
    {
        Place("xunit-passed-failed-skipped.trx", "A.Tests");
        // The counters that the old count used: total 5, passed 3, notExecuted 0, so "2 failed".
        File.ReadAllText(Data("xunit-passed-failed-skipped.trx")).ShouldContain("total=\"5\" executed=\"4\" passed=\"3\" failed=\"1\"");
        File.ReadAllText(Data("xunit-passed-failed-skipped.trx")).ShouldContain("notExecuted=\"0\"");

        var (totals, problems) = Sum(["A.Tests"], dotnetExit: 1);

        totals.ShouldBe(new Totals(Passed: 3, Failed: 1, Skipped: 1));
        totals.ToLine().ShouldBe("3 passed, 1 failed, 1 skipped");
        problems.ShouldBeEmpty();
    }

    [Fact]
    public void A_run_with_skips_and_no_failure_is_green()
    {
        Place("xunit-passed-skipped.trx", "A.Tests");

        var (totals, problems) = Sum(["A.Tests"]);

        totals.ToLine().ShouldBe("3 passed, 0 failed, 1 skipped");
        problems.ShouldBeEmpty();
    }

    [Fact]
    public void The_line_names_skipped_only_when_some_were()
    {
        new Totals(7, 0, 0).ToLine().ShouldBe("7 passed, 0 failed");
        new Totals(7, 2, 1).ToLine().ShouldBe("7 passed, 2 failed, 1 skipped");
    }

    [Fact]
    public void Results_of_several_projects_and_Pester_are_summed()
    {
        Place("xunit-passed-failed-skipped.trx", "A.Tests");
        Place("xunit-passed-skipped.trx", "B.Tests");
        var pester = PesterOutput("Describing things", "PESTER passed=14 failed=0 skipped=2");

        var (totals, _) = Sum(["A.Tests", "B.Tests"], dotnetExit: 1, pesterOutput: pester);

        totals.ShouldBe(new Totals(Passed: 3 + 3 + 14, Failed: 1, Skipped: 1 + 1 + 2));
    }

    [Fact]
    public void A_test_host_that_crashed_counts_as_a_failure_even_with_no_failed_test_recorded()
    {
        Place("xunit-host-crashed.trx", "A.Tests");

        var (totals, problems) = Sum(["A.Tests"], dotnetExit: 1);

        totals.Failed.ShouldBe(1);
        problems.ShouldHaveSingleItem().ShouldContain("A.Tests");
    }

    [Fact]
    public void A_project_that_left_no_results_counts_as_a_failure_and_is_named()
    {
        Place("xunit-passed-skipped.trx", "A.Tests");

        var (totals, problems) = Sum(["A.Tests", "B.Tests"], dotnetExit: 1);

        totals.ShouldBe(new Totals(Passed: 3, Failed: 1, Skipped: 1));
        problems.ShouldHaveSingleItem().ShouldContain("B.Tests left no test results");
    }

    [Fact]
    public void A_result_file_of_a_project_missing_from_the_list_still_counts()
    {
        // The list once came from the glob tests/*/*.Tests.csproj, which missed CitusHa.IntegrationTests.
        Place("xunit-passed-skipped.trx", "A.Tests");
        Place("xunit-passed-failed-skipped.trx", "A.IntegrationTests");

        var (totals, problems) = Sum(["A.Tests"], dotnetExit: 1);

        totals.ShouldBe(new Totals(Passed: 6, Failed: 1, Skipped: 2));
        problems.ShouldBeEmpty();
    }

    [Fact]
    public void A_broken_result_file_counts_as_a_failure()
    {
        File.WriteAllText(Path.Combine(_results, "A.Tests.trx"), "<TestRun><Results>");

        var (totals, problems) = Sum(["A.Tests"]);

        totals.Failed.ShouldBe(1);
        problems.ShouldHaveSingleItem().ShouldContain("not valid XML");
    }

    [Fact]
    public void Dotnet_test_failing_with_no_failure_in_its_results_counts_as_one()
    {
        Place("xunit-passed-skipped.trx", "A.Tests");

        var (totals, problems) = Sum(["A.Tests"], dotnetExit: 3);

        totals.Failed.ShouldBe(1);
        problems.ShouldHaveSingleItem().ShouldContain("exited 3");
    }

    [Fact]
    public void A_Pester_run_that_printed_no_totals_counts_as_a_failure()
    {
        Place("xunit-passed-skipped.trx", "A.Tests");
        var pester = PesterOutput("Import-Module: Pester was not found");

        var (totals, problems) = Sum(["A.Tests"], pesterOutput: pester, pesterExit: 1);

        totals.ShouldBe(new Totals(Passed: 3, Failed: 1, Skipped: 1));
        problems.ShouldHaveSingleItem().ShouldContain("Pester");
    }

    [Fact]
    public void A_Pester_run_that_failed_without_reporting_a_failure_counts_as_one()
    {
        Place("xunit-passed-skipped.trx", "A.Tests");
        var pester = PesterOutput("PESTER passed=2 failed=0 skipped=0", "Write-Error: teardown failed");

        var (totals, _) = Sum(["A.Tests"], pesterOutput: pester, pesterExit: 1);

        totals.ShouldBe(new Totals(Passed: 5, Failed: 1, Skipped: 1));
    }

    [Fact]
    public void Without_Pester_output_only_the_xunit_results_count()
    {
        Place("xunit-passed-skipped.trx", "A.Tests");

        Sum(["A.Tests"], pesterOutput: null).Totals.ToLine().ShouldBe("3 passed, 0 failed, 1 skipped");
    }

    [Theory]
    [InlineData("Passed", 1, 0, 0)]
    [InlineData("NotExecuted", 0, 0, 1)]
    [InlineData("Failed", 0, 1, 0)]
    [InlineData("Error", 0, 1, 0)]
    [InlineData("Timeout", 0, 1, 0)]
    [InlineData("Aborted", 0, 1, 0)]
    [InlineData("Inconclusive", 0, 1, 0)]
    [InlineData(null, 0, 1, 0)]
    public void Every_outcome_is_a_pass_a_skip_or_a_failure(string? outcome, int passed, int failed, int skipped) =>
        TrxReader.Classify(outcome).ShouldBe(new Totals(passed, failed, skipped));
}
