using System.Globalization;
using CitusHa.TestTotals;

// citusha-test-totals --results DIR --project NAME [--project NAME ...] --dotnet-exit N
//                     [--pester-output FILE --pester-exit N]
// Prints why a failure was counted that no test recorded (stderr), then the totals line (stdout).
// Exits 0 when nothing failed, 1 when something did, 2 on bad arguments.
const string Usage =
    "usage: citusha-test-totals --results DIR --project NAME [--project NAME ...] --dotnet-exit N [--pester-output FILE --pester-exit N]";

string? results = null, pesterOutput = null;
var projects = new List<string>();
int dotnetExit = 0, pesterExit = 0;
try
{
    for (var i = 0; i < args.Length; i++)
    {
        var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
        switch (args[i])
        {
            case "--results": results = value; break;
            case "--project": projects.Add(value); break;
            case "--dotnet-exit": dotnetExit = int.Parse(value, CultureInfo.InvariantCulture); break;
            case "--pester-output": pesterOutput = value; break;
            case "--pester-exit": pesterExit = int.Parse(value, CultureInfo.InvariantCulture); break;
            default: throw new ArgumentException($"unknown option '{args[i]}'");
        }
        i++;
    }
    if (results is null || projects.Count == 0)
    {
        throw new ArgumentException("--results and at least one --project are required");
    }
}
catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine($"citusha-test-totals: {e.Message}\n{Usage}");
    return 2;
}

var (totals, problems) = new TestRunReport(results, projects, dotnetExit, pesterOutput, pesterExit).Sum();
foreach (var problem in problems)
{
    Console.Error.WriteLine($"==> {problem}");
}
Console.WriteLine(totals.ToLine());
return totals.Failed == 0 ? 0 : 1;
