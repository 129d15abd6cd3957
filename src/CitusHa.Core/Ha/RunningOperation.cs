namespace CitusHa.Core.Ha;

/// <summary>A long operation the next cycles can see (Patroni's async executor).</summary>
public sealed record RunningOperation(OperationKind Kind, DateTimeOffset StartedAt);

public enum OperationKind
{
    Bootstrap,
    BaseBackup,
    Promote,
    Demote,
    Rewind,
    Restart,
    Reinitialize,
}
