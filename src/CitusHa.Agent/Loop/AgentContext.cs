using CitusHa.Core.Configuration;
using CitusHa.Core.Dcs;
using CitusHa.Core.Ha;
using CitusHa.Core.Postgres;

namespace CitusHa.Agent.Loop;

/// <summary>The adapters and identity the executor and upkeep share.</summary>
internal sealed class AgentContext(AgentSettings settings, IDcsStore store, IPostgresControl postgres, LeaseKeeper lease, AgentStatus status, ILogger logger)
{
    public AgentSettings Settings { get; } = settings;

    public IDcsStore Store { get; } = store;

    public IPostgresControl Postgres { get; } = postgres;

    public LeaseKeeper Lease { get; } = lease;

    public AgentStatus Status { get; } = status;

    public ILogger Logger { get; } = logger;

    /// <summary>How this member takes part in Citus (decided at start).</summary>
    public Citus.CitusMode Citus { get; init; } = new(null, false, "no citus section: a plain PostgreSQL group");

    /// <summary>How the local PostgreSQL is reached (its socket, superuser): for the Citus connections.</summary>
    public required PostgresOptions PostgresOptions { get; init; }

    /// <summary>Reads the configuration again (file and environment) for a reload; throws a CitusHaException naming the bad key.</summary>
    public Func<AgentSettings> LoadSettings { get; init; } = () => settings;

    public string Key(string name) => DcsPaths.GroupKey(Settings.Dcs.Namespace, Settings.Dcs.Scope!, Settings.DcsGroup, name);

    public string MyName => Settings.Name;

    /// <summary>How this member replicates from <paramref name="member"/>: its conn_url's host and port, my slot.</summary>
    public ReplicationSource? SourceFor(string member, DcsView dcs)
    {
        var info = dcs.Member(member);
        if (info?.ConnUrl is null || !Uri.TryCreate(info.ConnUrl, UriKind.Absolute, out var uri))
        {
            return null;
        }

        return new ReplicationSource(uri.Host, uri.Port > 0 ? uri.Port : 5432, PostgresOptions.SlotNameFor(MyName));
    }
}
