namespace CitusHa.Core.Errors;

/// <summary>Stable, PascalCase error identifiers. Scripts match on these; never rename one.</summary>
public static class ErrorIds
{
    public const string EtcdUnavailable = nameof(EtcdUnavailable);
    public const string EtcdTimeout = nameof(EtcdTimeout);
    public const string EtcdAuthenticationFailed = nameof(EtcdAuthenticationFailed);
    public const string EtcdRequestFailed = nameof(EtcdRequestFailed);
    public const string WatchCompacted = nameof(WatchCompacted);
    public const string InvalidHaSettings = nameof(InvalidHaSettings);
    public const string InvalidManifestParameter = nameof(InvalidManifestParameter);
    public const string CommandFailed = nameof(CommandFailed);
    public const string CommandTimedOut = nameof(CommandTimedOut);
    public const string PostgresFailed = nameof(PostgresFailed);
    public const string PostgresUnavailable = nameof(PostgresUnavailable);
    public const string InvalidEndpoint = nameof(InvalidEndpoint);
    public const string InvalidClusterName = nameof(InvalidClusterName);
    public const string InvalidNamespace = nameof(InvalidNamespace);
    public const string InvalidTimeout = nameof(InvalidTimeout);
    public const string ConfigFileNotFound = nameof(ConfigFileNotFound);
    public const string ConfigFileInvalid = nameof(ConfigFileInvalid);
    public const string ClusterNotFound = nameof(ClusterNotFound);
    public const string GroupNotFound = nameof(GroupNotFound);
    public const string InvalidGroup = nameof(InvalidGroup);
    public const string InvalidCredential = nameof(InvalidCredential);
    public const string InvalidConfiguration = nameof(InvalidConfiguration);
    public const string NoLeader = nameof(NoLeader);
    public const string DuplicateMemberName = nameof(DuplicateMemberName);
    public const string MemberNotFound = nameof(MemberNotFound);
    public const string MemberUnavailable = nameof(MemberUnavailable);
    public const string ApiAuthenticationFailed = nameof(ApiAuthenticationFailed);
    public const string RequestRefused = nameof(RequestRefused);
    public const string RequestFailed = nameof(RequestFailed);
    public const string NoEligibleCandidate = nameof(NoEligibleCandidate);
    public const string MemberIsLeader = nameof(MemberIsLeader);
    public const string MemberCertificateUntrusted = nameof(MemberCertificateUntrusted);
    public const string InvalidCertificateAuthority = nameof(InvalidCertificateAuthority);
    public const string PostgresAuthenticationFailed = nameof(PostgresAuthenticationFailed);
    public const string CandidateIsLeader = nameof(CandidateIsLeader);
    public const string CandidateNotEligible = nameof(CandidateNotEligible);
    public const string OperationTimedOut = nameof(OperationTimedOut);
    public const string ConfirmationRequired = nameof(ConfirmationRequired);
    public const string NotConnected = nameof(NotConnected);
    public const string NotCitus = nameof(NotCitus);
    public const string RebalanceAlreadyRunning = nameof(RebalanceAlreadyRunning);
    public const string RebalanceFailed = nameof(RebalanceFailed);
    public const string RebalanceNotFound = nameof(RebalanceNotFound);
    public const string KubeconfigNotFound = nameof(KubeconfigNotFound);
    public const string KubeconfigInvalid = nameof(KubeconfigInvalid);
    public const string KubernetesRequestFailed = nameof(KubernetesRequestFailed);
    public const string KubernetesApplyConflict = nameof(KubernetesApplyConflict);
    public const string InvalidManifest = nameof(InvalidManifest);
    public const string UnexpectedError = nameof(UnexpectedError);
}
