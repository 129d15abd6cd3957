using System.Text.Json.Nodes;
using CitusHa.Core.Ha;

namespace CitusHa.Agent.Loop;

/// <summary>
/// Keeps <c>synchronous_standby_names</c> and the <c>sync</c> key in step on the primary, ordered so that
/// every set of standbys that can acknowledge a commit intersects every set that can promote one
/// (Patroni's quorum rules): voters are added to the <c>sync</c> key before PostgreSQL counts them, and
/// removed from PostgreSQL before the key forgets them.
/// </summary>
internal sealed class SyncReplication(AgentContext context)
{
    private string? appliedStandbyNames;

    public void Forget() => appliedStandbyNames = null;

    /// <summary>Before promoting: count only the old voters that still have a member key, so the new primary never waits for a member known dead.</summary>
    public async Task BeforePromoteAsync(GroupView view, CancellationToken cancellationToken)
    {
        var settings = view.Settings;
        if (settings.SynchronousMode == SynchronousMode.Off || view.Dcs is not { } dcs)
        {
            await ApplyStandbyNamesAsync(string.Empty, cancellationToken).ConfigureAwait(false);
            return;
        }

        var alive = dcs.Members.Select(m => m.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var voters = (dcs.Sync?.Standbys ?? []).Append(dcs.Sync?.Leader ?? string.Empty)
            .Where(n => n.Length > 0 && !string.Equals(n, context.MyName, StringComparison.OrdinalIgnoreCase) && alive.Contains(n))
            .Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();
        await WriteSyncKeyAsync(dcs.Sync?.ModRevision ?? 0, voters, settings, cancellationToken).ConfigureAwait(false);
        await ApplyStandbyNamesAsync(StandbyNames(voters, settings), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One step of upkeep on the running primary.</summary>
    public async Task MaintainAsync(GroupView view, CancellationToken cancellationToken)
    {
        var settings = view.Settings;
        var dcs = view.Dcs!;
        if (settings.SynchronousMode == SynchronousMode.Off)
        {
            await ApplyStandbyNamesAsync(string.Empty, cancellationToken).ConfigureAwait(false);
            if (dcs.Sync is { } stale)
            {
                await context.Store.DeleteIfModRevisionAsync(context.Key("sync"), stale.ModRevision, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        var eligible = dcs.Members.Where(m => m.Name != context.MyName && m.IsRunning && !m.NoSync).Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        var streaming = await context.Postgres.StreamingStandbysAsync(cancellationToken).ConfigureAwait(false);
        var target = streaming.Select(s => s.Name).Where(eligible.Contains).Distinct().Order(StringComparer.Ordinal).ToList();
        var current = dcs.Sync is { } sync && string.Equals(sync.Leader, context.MyName, StringComparison.OrdinalIgnoreCase)
            ? sync.Standbys.Order(StringComparer.Ordinal).ToList()
            : null;

        var step = SyncStep.Next(current, target, startingFromAsynchronous: string.IsNullOrEmpty(appliedStandbyNames));
        if (step is null)
        {
            // The key is right; PostgreSQL may still need the same set (after a restart, a reload).
            await ApplyStandbyNamesAsync(StandbyNames([.. current!], settings), cancellationToken).ConfigureAwait(false);
            return;
        }

        var voters = step.Voters.ToList();
        if (step.KeyFirst)
        {
            await WriteSyncKeyAsync(dcs.Sync?.ModRevision ?? 0, voters, settings, cancellationToken).ConfigureAwait(false);
            await ApplyStandbyNamesAsync(StandbyNames(voters, settings), cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await ApplyStandbyNamesAsync(StandbyNames(voters, settings), cancellationToken).ConfigureAwait(false);
            await WriteSyncKeyAsync(dcs.Sync?.ModRevision ?? 0, voters, settings, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string StandbyNames(List<string> voters, HaSettings settings)
    {
        if (voters.Count == 0)
        {
            return string.Empty;
        }

        var count = Math.Min(settings.SynchronousNodeCount, voters.Count);
        var list = string.Join(",", voters.Select(v => "\"" + v.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""));
        return settings.SynchronousMode == SynchronousMode.Quorum ? $"ANY {count} ({list})" : $"FIRST {count} ({list})";
    }

    private async Task WriteSyncKeyAsync(long expectedRevision, List<string> voters, HaSettings settings, CancellationToken cancellationToken)
    {
        var count = Math.Min(settings.SynchronousNodeCount, voters.Count);
        var value = new JsonObject
        {
            ["leader"] = context.MyName,
            ["sync_standby"] = voters.Count == 0 ? null : string.Join(",", voters),
            ["quorum"] = settings.SynchronousMode == SynchronousMode.Quorum ? voters.Count - count : 0,
        }.ToJsonString();
        var written = await context.Store.PutIfModRevisionAsync(context.Key("sync"), value, expectedRevision, 0, cancellationToken).ConfigureAwait(false);
        if (!written.Succeeded)
        {
            throw new InvalidOperationException("The sync key changed under us; retrying next cycle.");
        }
    }

    private async Task ApplyStandbyNamesAsync(string value, CancellationToken cancellationToken)
    {
        if (appliedStandbyNames == value)
        {
            return;
        }

        await context.Postgres.SetSynchronousStandbyNamesAsync(value, cancellationToken).ConfigureAwait(false);
        appliedStandbyNames = value;
    }
}
