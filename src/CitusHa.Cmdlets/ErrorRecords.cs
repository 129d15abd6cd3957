using System.Management.Automation;
using CitusHa.Core.Errors;

namespace CitusHa;

/// <summary>
/// Maps Core's failures to error records: Core's ErrorId unchanged, a meaningful category, and an
/// exception type of our own that PowerShell can name (Core's types stay in their load context).
/// </summary>
internal static class ErrorRecords
{
    public static ErrorRecord From(CitusHaException e) =>
        new(new CitusHaErrorException(e.ErrorId, e.Message), e.ErrorId, Category(e.Kind), e.Target);

    /// <summary>A group asked for that the cluster (or, with no cluster named, every cluster) lacks: non-terminating.</summary>
    public static ErrorRecord MissingGroup(int group, Core.Configuration.DcsSettings settings) =>
        From(new CitusHaException(CitusErrorKind.NotFound, ErrorIds.GroupNotFound,
            $"Citus group {group} does not exist in {(settings.Scope is null ? "any cluster" : $"'{settings.Scope}'")} under {settings.Namespace}.", group));

    public static ErrorRecord Unexpected(Exception e) =>
        new(new CitusHaErrorException(ErrorIds.UnexpectedError, $"CitusHa failed unexpectedly ({e.GetType().Name}): {e.Message}"), ErrorIds.UnexpectedError, ErrorCategory.NotSpecified, null);

    public static ErrorCategory Category(CitusErrorKind kind) => kind switch
    {
        CitusErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        CitusErrorKind.NotFound => ErrorCategory.ObjectNotFound,
        CitusErrorKind.Conflict => ErrorCategory.ResourceBusy,
        CitusErrorKind.Unavailable => ErrorCategory.ConnectionError,
        CitusErrorKind.Timeout => ErrorCategory.OperationTimeout,
        CitusErrorKind.Unauthorized => ErrorCategory.AuthenticationError,
        CitusErrorKind.Failed => ErrorCategory.InvalidResult,
        _ => ErrorCategory.NotSpecified,
    };
}
