namespace CitusHa.Core.Errors;

/// <summary>
/// The one exception type Core throws on purpose. <see cref="ErrorId"/> is stable (tests and scripts
/// match on it); the message names the problem and what to do about it, and never holds a secret.
/// </summary>
public sealed class CitusHaException : Exception
{
    public CitusHaException(CitusErrorKind kind, string errorId, string message, object? target = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        ErrorId = errorId;
        Target = target;
    }

    public CitusErrorKind Kind { get; }

    public string ErrorId { get; }

    /// <summary>What the error is about (an endpoint, a file, a member name), for the caller's error record.</summary>
    public object? Target { get; }
}
