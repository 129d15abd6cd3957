namespace CitusHa.Agent.Citus;

internal static partial class CitusLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "{Member}: {Message}")]
    public static partial void Info(ILogger logger, string member, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Member}: {Message}")]
    public static partial void Warning(ILogger logger, string member, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Member}: discarding Citus event {Event}: its leader is not that group's leader")]
    public static partial void Discarded(ILogger logger, string member, Core.Citus.CitusEvent @event);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Member}: pg_dist_node: {Task} -> {Outcome}")]
    public static partial void TaskDone(ILogger logger, string member, Core.Citus.CitusTask task, Core.Citus.TaskOutcome outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Member}: Citus group {Group}: {Explanation}")]
    public static partial void Mode(ILogger logger, string member, int group, string explanation);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Member}: pg_dist_node: {Message}")]
    public static partial void MetadataFailed(ILogger logger, string member, string message);
}
