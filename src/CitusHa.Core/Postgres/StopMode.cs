namespace CitusHa.Core.Postgres;

public enum StopMode
{
    /// <summary>Disconnect clients, write a shutdown checkpoint (pg_ctl -m fast).</summary>
    Fast,

    /// <summary>Stop at once without a checkpoint (pg_ctl -m immediate): fencing.</summary>
    Immediate,
}
