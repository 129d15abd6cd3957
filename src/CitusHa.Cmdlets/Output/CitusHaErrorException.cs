namespace CitusHa;

/// <summary>
/// The exception inside every error record CitusHa writes. It lives in CitusHa.dll (not in the
/// isolated engine), so <c>$_.Exception</c> is a type PowerShell can name, and it carries no
/// third-party inner exception (gRPC, Npgsql) into <c>$Error</c>.
/// </summary>
public sealed class CitusHaErrorException : Exception
{
    public CitusHaErrorException()
    {
        ErrorId = "UnexpectedError";
    }

    public CitusHaErrorException(string message)
        : base(message)
    {
        ErrorId = "UnexpectedError";
    }

    public CitusHaErrorException(string message, Exception innerException)
        : base(message, innerException)
    {
        ErrorId = "UnexpectedError";
    }

    public CitusHaErrorException(string errorId, string message)
        : base(message)
    {
        ErrorId = errorId;
    }

    /// <summary>The stable identifier, also the first part of the error record's FullyQualifiedErrorId.</summary>
    public string ErrorId { get; }
}
