namespace CitusHa.TestTotals;

/// <summary>Counts of test results, summed over every source of one test run.</summary>
public readonly record struct Totals(int Passed, int Failed, int Skipped)
{
    public static Totals operator +(Totals left, Totals right) =>
        new(left.Passed + right.Passed, left.Failed + right.Failed, left.Skipped + right.Skipped);

    public static Totals Add(Totals left, Totals right) => left + right;

    /// <summary>One failure that no result file recorded: a crashed runner, a missing file.</summary>
    public static Totals OneFailure => new(0, 1, 0);

    /// <summary>The line CI reads: "N passed, N failed", with ", N skipped" only when some were.</summary>
    public string ToLine() =>
        Skipped > 0 ? $"{Passed} passed, {Failed} failed, {Skipped} skipped" : $"{Passed} passed, {Failed} failed";
}
