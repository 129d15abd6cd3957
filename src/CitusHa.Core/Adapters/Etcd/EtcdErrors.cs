using CitusHa.Core.Errors;
using Grpc.Core;

namespace CitusHa.Core.Adapters.Etcd;

/// <summary>Maps gRPC failures to <see cref="CitusHaException"/>s whose messages say what to check.</summary>
internal static class EtcdErrors
{
    /// <summary>
    /// Runs one etcd call under the caller's token and our own deadline. The deadline is enforced
    /// here too (not only by gRPC's), because depending on where a frozen server stalls the call,
    /// the SDK reports it as a cancelled task rather than DeadlineExceeded.
    /// </summary>
    public static async Task<T> TranslateAsync<T>(Func<CancellationToken, Task<T>> call, string endpoints, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await call(deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled } && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("The etcd request was cancelled.", e, cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
        {
            // The caller did not cancel (caught above): our deadline, or a timeout inside the client
            // (its continuation may throw before our deadline's token reads as cancelled), ended it.
            throw TimedOut(endpoints, timeout, e);
        }
        catch (RpcException e)
        {
            throw Translate(e, endpoints, timeout);
        }
    }

    private static CitusHaException TimedOut(string endpoints, TimeSpan timeout, Exception e) =>
        new(CitusErrorKind.Timeout, ErrorIds.EtcdTimeout,
            $"etcd at {endpoints} did not answer within {timeout.TotalSeconds:0.#} s. Check that etcd is running and reachable, or allow more time (-TimeoutSec).", endpoints, e);

    internal static CitusHaException Translate(RpcException e, string endpoints, TimeSpan timeout)
    {
        var detail = e.Status.Detail;
        return e.StatusCode switch
        {
            StatusCode.DeadlineExceeded => TimedOut(endpoints, timeout, e),
            StatusCode.Unauthenticated or StatusCode.PermissionDenied => AuthenticationFailed(endpoints, detail, e),
            StatusCode.InvalidArgument or StatusCode.FailedPrecondition when IsAuthenticationMessage(detail) => AuthenticationFailed(endpoints, detail, e),
            StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown when IsTransportFailure(e) => new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.EtcdUnavailable,
                $"Cannot reach etcd at {endpoints} ({detail}). Check the endpoint (host:port), that etcd is running, and that its client URL is plain http unless you gave https.", endpoints, e),
            _ => new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.EtcdRequestFailed,
                $"etcd at {endpoints} refused the request: {e.StatusCode}: {detail}", endpoints, e),
        };
    }

    private static CitusHaException AuthenticationFailed(string endpoints, string detail, RpcException e) =>
        new(CitusErrorKind.Unauthorized, ErrorIds.EtcdAuthenticationFailed,
            $"etcd at {endpoints} refused the credentials ({detail}). Check the user name and password (-Credential, or etcd3.username/password in the configuration file).", endpoints, e);

    /// <summary>etcd rejects an expired or revoked token with this message; a new token fixes it.</summary>
    internal static bool IsInvalidToken(RpcException e) =>
        e.Status.Detail.Contains("invalid auth token", StringComparison.OrdinalIgnoreCase);

    private static bool IsAuthenticationMessage(string detail) =>
        detail.Contains("authentication", StringComparison.OrdinalIgnoreCase)
        || detail.Contains("user name is empty", StringComparison.OrdinalIgnoreCase)
        || detail.Contains("invalid auth token", StringComparison.OrdinalIgnoreCase)
        || detail.Contains("permission denied", StringComparison.OrdinalIgnoreCase);

    private static bool IsTransportFailure(RpcException e) =>
        e.StatusCode == StatusCode.Unavailable || e.InnerException is HttpRequestException or IOException || e.Status.DebugException is HttpRequestException or IOException;
}
