namespace CitusHa.Testing.Servers;

public sealed record EtcdServerOptions
{
    /// <summary>Null: $CITUSHA_ETCD_BIN or 'etcd' on PATH.</summary>
    public string? BinaryPath { get; init; }

    /// <summary>Null: a free port.</summary>
    public int? ClientPort { get; init; }

    public int? PeerPort { get; init; }

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
