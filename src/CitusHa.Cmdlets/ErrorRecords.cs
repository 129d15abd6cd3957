using System.Management.Automation;
using CitusHa.Core.Errors;

namespace CitusHa;

/// <summary>Maps Core's error kinds to PowerShell's categories; the ErrorId is Core's, unchanged.</summary>
internal static class ErrorRecords
{
    public static ErrorRecord From(CitusHaException e) =>
        new(e, e.ErrorId, Category(e.Kind), e.Target);

    public static ErrorRecord Unexpected(Exception e) =>
        new(new InvalidOperationException($"CitusHa failed unexpectedly: {e.Message}", e), ErrorIds.UnexpectedError, ErrorCategory.NotSpecified, null);

    public static ErrorCategory Category(CitusErrorKind kind) => kind switch
    {
        CitusErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        CitusErrorKind.NotFound => ErrorCategory.ObjectNotFound,
        CitusErrorKind.Conflict => ErrorCategory.ResourceBusy,
        CitusErrorKind.Unavailable => ErrorCategory.ConnectionError,
        CitusErrorKind.Timeout => ErrorCategory.OperationTimeout,
        CitusErrorKind.Unauthorized => ErrorCategory.AuthenticationError,
        _ => ErrorCategory.NotSpecified,
    };
}
