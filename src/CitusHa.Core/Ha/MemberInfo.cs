namespace CitusHa.Core.Ha;

/// <summary>What another member publishes about itself (its member key), as the rules need it.</summary>
public sealed record MemberInfo(
    string Name,
    string? ConnUrl,
    string? ApiUrl,
    string? State,
    string? Role,
    long? Lsn,
    int? Timeline,
    bool NoFailover = false,
    int FailoverPriority = 1,
    bool NoSync = false,
    bool NoLoadBalance = false)
{
    public bool IsRunning => State == "running";
}
