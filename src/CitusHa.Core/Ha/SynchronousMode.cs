namespace CitusHa.Core.Ha;

/// <summary>Patroni's <c>synchronous_mode</c>: off, on (FIRST n), quorum (ANY n).</summary>
public enum SynchronousMode
{
    Off,
    On,
    Quorum,
}
