namespace CitusHa.Agent.Loop;

/// <summary>The HA loop's log events (1xxx). Structured fields, source-generated.</summary>
internal static partial class LoopLog
{
    [LoggerMessage(1001, LogLevel.Information, "{Member}: {Reason}", EventName = "Decision")]
    public static partial void Decision(ILogger logger, string member, string reason);

    [LoggerMessage(1002, LogLevel.Warning, "{Member}: {Action} failed: {Message}", EventName = "ActionFailed")]
    public static partial void ActionFailed(ILogger logger, string member, string action, string message, Exception exception);

    [LoggerMessage(1003, LogLevel.Information, "{Member}: {Operation} started", EventName = "OperationStarted")]
    public static partial void OperationStarted(ILogger logger, string member, string operation);

    [LoggerMessage(1004, LogLevel.Information, "{Member}: {Operation} finished", EventName = "OperationFinished")]
    public static partial void OperationFinished(ILogger logger, string member, string operation);

    [LoggerMessage(1005, LogLevel.Warning, "{Member}: upkeep failed: {Message}", EventName = "UpkeepFailed")]
    public static partial void UpkeepFailed(ILogger logger, string member, string message, Exception exception);

    [LoggerMessage(1006, LogLevel.Warning, "{Member}: watch on {Prefix} ended: {Message}; watching again", EventName = "WatchRestarted")]
    public static partial void WatchRestarted(ILogger logger, string member, string prefix, string message);

    [LoggerMessage(1007, LogLevel.Information, "{Member}: shutting down: {Reason}", EventName = "Shutdown")]
    public static partial void Shutdown(ILogger logger, string member, string reason);

    [LoggerMessage(1008, LogLevel.Critical, "{Member}: halted: {Reason}", EventName = "Halted")]
    public static partial void Halted(ILogger logger, string member, string reason);

    [LoggerMessage(1009, LogLevel.Information, "{Member}: promoted: PostgreSQL accepts writes {TotalMs} ms after the promotion began (at once: sync key {SyncMs} ms, before_promote {NotifyMs} ms; then pg_ctl promote until writable {PromoteMs} ms)", EventName = "Promoted")]
    public static partial void Promoted(ILogger logger, string member, long totalMs, long syncMs, long notifyMs, long promoteMs);

    [LoggerMessage(1010, LogLevel.Information, "{Member}: {Line}", EventName = "PostgresOutput")]
    public static partial void PostgresOutput(ILogger logger, string member, string line);

    [LoggerMessage(1011, LogLevel.Warning, "{Member}: the configuration sets Patroni settings this agent does not act on: {Keys}", EventName = "UnsupportedSettings")]
    public static partial void UnsupportedSettings(ILogger logger, string member, string keys);
}
