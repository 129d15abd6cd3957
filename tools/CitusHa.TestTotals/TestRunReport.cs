namespace CitusHa.TestTotals;

/// <summary>What one test run left behind, and the rules that turn it into totals.</summary>
/// <param name="ResultsDirectory">Where dotnet test wrote one <c>&lt;Project&gt;.trx</c> per test project.</param>
/// <param name="ExpectedProjects">Every test project that should have left a TRX: a missing one crashed. Every TRX in the directory counts, listed here or not.</param>
/// <param name="DotnetExitCode">dotnet test's exit code: non-zero with no failure recorded is a failure.</param>
/// <param name="PesterOutput">The Pester run's output file, or null when the user opted out of Pester.</param>
/// <param name="PesterExitCode">The Pester run's exit code: non-zero with no failure recorded is a failure.</param>
public sealed record TestRunReport(
    string ResultsDirectory,
    IReadOnlyList<string> ExpectedProjects,
    int DotnetExitCode,
    string? PesterOutput,
    int PesterExitCode)
{
    private string TrxPath(string project) => Path.Combine(ResultsDirectory, project + ".trx");

    /// <summary>The run's totals and, for every failure no test recorded, the reason.</summary>
    public (Totals Totals, IReadOnlyList<string> Problems) Sum()
    {
        var problems = new List<string>();
        var dotnet = default(Totals);
        foreach (var project in ExpectedProjects.Where(p => !File.Exists(TrxPath(p))))
        {
            problems.Add($"{project} left no test results (it crashed or did not run): counted as one failure");
            dotnet += Totals.OneFailure;
        }

        // Every TRX present counts, listed or not: a test project the list missed must not vanish from the totals.
        foreach (var path in Directory.Exists(ResultsDirectory) ? Directory.EnumerateFiles(ResultsDirectory, "*.trx").Order(StringComparer.Ordinal) : Enumerable.Empty<string>())
        {
            using var reader = File.OpenText(path);
            var (totals, problem) = TrxReader.Read(reader);
            if (problem is not null)
            {
                problems.Add($"{Path.GetFileNameWithoutExtension(path)}: {problem}: counted as one failure");
            }

            dotnet += totals;
        }

        if (DotnetExitCode != 0 && dotnet.Failed == 0)
        {
            problems.Add($"dotnet test exited {DotnetExitCode} but its results record no failure: counted as one failure");
            dotnet += Totals.OneFailure;
        }

        var pester = default(Totals);
        if (PesterOutput is not null)
        {
            var summary = File.Exists(PesterOutput) ? PesterSummary.Read(File.ReadLines(PesterOutput)) : null;
            if (summary is null)
            {
                problems.Add($"the Pester run (exit {PesterExitCode}) printed no totals: counted as one failure");
                pester = Totals.OneFailure;
            }
            else
            {
                pester = summary.Value;
                if (PesterExitCode != 0 && pester.Failed == 0)
                {
                    problems.Add($"the Pester run exited {PesterExitCode} but reports no failure: counted as one failure");
                    pester += Totals.OneFailure;
                }
            }
        }
        return (dotnet + pester, problems);
    }
}
