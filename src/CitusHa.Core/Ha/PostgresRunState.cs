namespace CitusHa.Core.Ha;

public enum PostgresRunState
{
    /// <summary>Not running, and that is what we wanted (never started, or stopped by us).</summary>
    Stopped,

    /// <summary>Started and not yet accepting connections.</summary>
    Starting,

    /// <summary>Accepting connections.</summary>
    Running,

    /// <summary>Not running although it should be (the postmaster died).</summary>
    Crashed,
}
