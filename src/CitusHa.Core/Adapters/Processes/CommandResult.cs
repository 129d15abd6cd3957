namespace CitusHa.Core.Adapters.Processes;

/// <summary>How a finished command ended and what it printed (stdout and stderr interleaved as received).</summary>
public sealed record CommandResult(int ExitCode, string Output)
{
    public bool Succeeded => ExitCode == 0;
}
