namespace CitusHa.Core.Operations;

/// <summary>How Citus moves a shard (citus.shard_transfer_mode).</summary>
public enum ShardTransferMode
{
    /// <summary>Logical replication where every table has a replica identity, else an error (Citus' default).</summary>
    Auto,

    /// <summary>Logical replication even for tables without a replica identity (their updates and deletes fail during the move).</summary>
    ForceLogical,

    /// <summary>Copy the shard with writes to it blocked for the move.</summary>
    BlockWrites,
}

/// <summary>
/// A shard rebalance as Citus' <c>citus_rebalance_start</c> takes it: the strategy (null: the default
/// strategy), whether only draining nodes marked shouldhaveshards=false, the transfer mode, and the
/// two parallel-transfer switches.
/// </summary>
public sealed record RebalanceRequest(
    string? Strategy = null,
    bool DrainOnly = false,
    ShardTransferMode TransferMode = ShardTransferMode.Auto,
    bool ParallelTransferReferenceTables = false,
    bool ParallelTransferColocatedShards = false)
{
    /// <summary>The value of Citus' citus.shard_transfer_mode enum.</summary>
    public string TransferModeValue => TransferMode switch
    {
        ShardTransferMode.ForceLogical => "force_logical",
        ShardTransferMode.BlockWrites => "block_writes",
        _ => "auto",
    };
}
