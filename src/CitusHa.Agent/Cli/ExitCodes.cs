using CitusHa.Core.Errors;

namespace CitusHa.Agent.Cli;

/// <summary>Process exit codes: 0 success, 2 bad input, 3 not found, 4 conflict, 5 unreachable or timed out, 6 refused credentials, 1 anything else (work that ran and failed).</summary>
internal static class ExitCodes
{
    public static int For(CitusErrorKind kind) => kind switch
    {
        CitusErrorKind.InvalidArgument => 2,
        CitusErrorKind.NotFound => 3,
        CitusErrorKind.Conflict => 4,
        CitusErrorKind.Unavailable or CitusErrorKind.Timeout => 5,
        CitusErrorKind.Unauthorized => 6,
        _ => 1,
    };
}
