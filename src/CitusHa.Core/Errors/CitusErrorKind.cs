namespace CitusHa.Core.Errors;

/// <summary>
/// The closed set of failure kinds that callers (cmdlets, CLI, REST) map to their own vocabulary:
/// PowerShell error categories, exit codes, HTTP status codes.
/// </summary>
public enum CitusErrorKind
{
    /// <summary>The input is wrong; retrying the same call cannot succeed.</summary>
    InvalidArgument,

    /// <summary>The thing asked for does not exist.</summary>
    NotFound,

    /// <summary>The state changed under us or forbids the action (lost compare-and-swap, wrong role).</summary>
    Conflict,

    /// <summary>A dependency (etcd, PostgreSQL, a peer) cannot be reached; retrying later may succeed.</summary>
    Unavailable,

    /// <summary>The operation did not finish within its deadline.</summary>
    Timeout,

    /// <summary>The credentials were refused.</summary>
    Unauthorized,

    /// <summary>The work ran and failed (a rebalance job that failed or was cancelled).</summary>
    Failed,
}
