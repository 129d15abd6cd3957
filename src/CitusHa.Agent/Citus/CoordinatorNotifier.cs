using System.Text;
using CitusHa.Agent.Loop;
using CitusHa.Core.Citus;
using CitusHa.Core.Dcs;
using CitusHa.Core.Errors;
using CitusHa.Core.Model;

namespace CitusHa.Agent.Citus;

/// <summary>
/// A worker's side of the protocol (Patroni's notify_mpp_coordinator): tells the coordinator's leader
/// before its primary stops (pause the group's traffic), before a replica promotes and once the new
/// primary runs (resume). One attempt, no retries: a lost call is repaired by the coordinator's
/// reconcile. Errors are logged, never thrown: the HA action goes on regardless.
/// </summary>
internal sealed class CoordinatorNotifier(AgentContext context) : IDisposable
{
    private readonly HttpClient http = PeerHttp.Create(context.Settings, Timeout.InfiniteTimeSpan);

    public bool Enabled => context.Settings.IsWorker;

    public async Task NotifyAsync(CitusEventType type, CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            return;
        }

        var ha = context.Settings.Ha;
        // before_demote waits on the coordinator until the pause is in place: up to a ttl, as in Patroni.
        var timeout = type == CitusEventType.BeforeDemote ? ha.Ttl : TimeSpan.FromSeconds(2);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var body = new CitusEvent(type, context.Settings.Group, context.MyName, ha.Ttl, ha.RetryTimeout).ToJson();
        string? target = null;
        try
        {
            target = await CoordinatorApiAsync(deadline.Token).ConfigureAwait(false);
            if (target is null)
            {
                CitusLog.Warning(context.Logger, context.MyName, $"cannot send {CitusEvent.Name(type)}: the coordinator group has no leader with an api_url");
                return;
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(target), "/citus")) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            Core.Adapters.Http.RestApiHttp.Authorize(request, context.Settings.RestApiCredentials);

            using var response = await http.SendAsync(request, deadline.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                CitusLog.Warning(context.Logger, context.MyName, $"request to Citus coordinator leader {target} failed: HTTP {(int)response.StatusCode}");
            }
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or CitusHaException && !cancellationToken.IsCancellationRequested)
        {
            var why = e is OperationCanceledException ? $"no answer within {timeout.TotalSeconds:0.#} s" : e.Message;
            CitusLog.Warning(context.Logger, context.MyName, $"request to Citus coordinator leader {target ?? "(unknown)"} failed ({CitusEvent.Name(type)}): {why}");
        }
    }

    /// <summary>The coordinator leader's api_url (scheme, host, port), from group 0's keys.</summary>
    private async Task<string?> CoordinatorApiAsync(CancellationToken cancellationToken)
    {
        var prefix = DcsPaths.GroupPrefix(context.Settings.Dcs.Namespace, context.Settings.Dcs.Scope!, 0);
        var snapshot = await context.Store.ReadPrefixAsync(prefix, cancellationToken).ConfigureAwait(false);
        var leader = snapshot.Items.FirstOrDefault(i => i.Key == prefix + DcsPaths.Leader)?.Value;
        if (string.IsNullOrWhiteSpace(leader))
        {
            return null;
        }

        var member = snapshot.Items.FirstOrDefault(i => i.Key == $"{prefix}{DcsPaths.Members}/{leader.Trim()}");
        return member is not null && MemberRecord.Parse(member.Value).ApiUrl is { } api && Uri.TryCreate(api, UriKind.Absolute, out var uri)
            ? uri.GetLeftPart(UriPartial.Authority)
            : null;
    }

    public void Dispose() => http.Dispose();
}
