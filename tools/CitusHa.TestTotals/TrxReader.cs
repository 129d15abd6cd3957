using System.Xml;
using System.Xml.Linq;

namespace CitusHa.TestTotals;

/// <summary>
/// Reads one TRX file (what <c>dotnet test --logger trx</c> writes) by the outcome of each test, not by its
/// Counters element: xunit's TRX counts a skipped test in neither <c>passed</c> nor <c>notExecuted</c>, so
/// "total - passed - notExecuted" called every skipped test a failure.
/// </summary>
public static class TrxReader
{
    private static readonly XNamespace Trx = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";

    /// <summary>The totals of one TRX document, and why it counts a failure no test recorded (or null).</summary>
    public static (Totals Totals, string? RunProblem) Read(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        XDocument document;
        try
        {
            document = XDocument.Load(reader);
        }
        catch (XmlException e)
        {
            return (Totals.OneFailure, $"the file is not valid XML ({e.Message})");
        }

        var results = document.Root?.Element(Trx + "Results");
        var totals = default(Totals);
        // Only the top-level results: a data-driven test's InnerResults are already summed in its parent.
        foreach (var result in results?.Elements(Trx + "UnitTestResult") ?? [])
        {
            totals += Classify((string?)result.Attribute("outcome"));
        }

        var summaryOutcome = (string?)document.Root?.Element(Trx + "ResultSummary")?.Attribute("outcome");
        // A run that aborted (the test host crashed, a hang timeout) may record no failed test at all.
        if (totals.Failed == 0 && summaryOutcome is not null && IsRunFailure(summaryOutcome))
        {
            return (totals + Totals.OneFailure, $"the run ended '{summaryOutcome}' although no test failed");
        }
        if (results is null)
        {
            return (totals + Totals.OneFailure, "the file holds no test results");
        }
        return (totals, null);
    }

    /// <summary>Maps a TRX outcome (the TestOutcome enum's names) to passed, failed or skipped.</summary>
    public static Totals Classify(string? outcome) => outcome switch
    {
        "Passed" or "PassedButRunAborted" => new Totals(1, 0, 0),
        "NotExecuted" or "NotRunnable" => new Totals(0, 0, 1),
        // Failed, Error, Timeout, Aborted, Inconclusive, Disconnected, Warning, InProgress, Pending, Completed,
        // missing:
        // anything that is not a pass or a deliberate skip is a failure, so nothing hides.
        _ => Totals.OneFailure,
    };

    private static bool IsRunFailure(string outcome) =>
        outcome is "Failed" or "Error" or "Aborted" or "Timeout" or "Disconnected";
}
