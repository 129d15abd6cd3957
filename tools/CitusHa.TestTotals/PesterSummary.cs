using System.Globalization;
using System.Text.RegularExpressions;

namespace CitusHa.TestTotals;

/// <summary>
/// Reads the totals line that tests/Pester/Invoke-PesterSuite.ps1 prints last:
/// <c>PESTER passed=N failed=N skipped=N</c> (its failed count already includes failed blocks and containers).
/// </summary>
public static partial class PesterSummary
{
    [GeneratedRegex(@"^PESTER passed=(\d+) failed=(\d+) skipped=(\d+)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex SummaryLine();

    /// <summary>The last summary line of the output, or null when the run printed none.</summary>
    public static Totals? Read(IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        Totals? last = null;
        foreach (var line in lines)
        {
            var match = SummaryLine().Match(line);
            if (match.Success)
            {
                last = new Totals(Number(match, 1), Number(match, 2), Number(match, 3));
            }
        }
        return last;
    }

    private static int Number(Match match, int group) =>
        int.Parse(match.Groups[group].Value, NumberStyles.None, CultureInfo.InvariantCulture);
}
