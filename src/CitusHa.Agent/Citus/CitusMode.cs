using CitusHa.Core.Citus;
using CitusHa.Core.Configuration;

namespace CitusHa.Agent.Citus;

/// <summary>
/// How this member takes part in Citus, decided once at start: not at all (no citus section), with the
/// Citus library (settings, extension, metadata), or without it (plain PostgreSQL HA; HA.md decision
/// 3). Without the library the coordinator still keeps pg_dist_node when the Citus database has one
/// (the stand-in lane, or an extension installed by other means): the catalog decides, not the file.
/// </summary>
internal sealed record CitusMode(CitusSettings? Settings, bool UseLibrary, string Explanation)
{
    public static CitusMode Detect(AgentSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Citus is not { } citus)
        {
            return new CitusMode(null, false, "no citus section: a plain PostgreSQL group");
        }

        if (!citus.UseLibrary)
        {
            return new CitusMode(citus, false, "citus.library is off: running as plain PostgreSQL HA (no Citus settings, no extension)");
        }

        return CitusLibrary.IsInstalled(settings.Postgres.BinDirectory)
            ? new CitusMode(citus, true, $"Citus library found: Citus settings on, extension in database '{citus.Database}'")
            : new CitusMode(citus, false, $"the Citus library (citus.so) is not installed with the PostgreSQL in {settings.Postgres.BinDirectory}: running as plain PostgreSQL HA");
    }

    public bool Enabled => Settings is not null;

    /// <summary>The local PostgreSQL parameters with Citus' requirements applied when the library is used.</summary>
    public IReadOnlyDictionary<string, string> Parameters(AgentSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return UseLibrary
            ? CitusParameters.Apply(settings.Postgres.Parameters, CitusParameters.LocalHostName(settings.Postgres.ListenAddress))
            : settings.Postgres.Parameters;
    }

    /// <summary>The group's dynamic parameters with Citus' requirements kept when the library is used.</summary>
    public IReadOnlyDictionary<string, string> DynamicParameters(IReadOnlyDictionary<string, string> dynamic, AgentSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return UseLibrary
            ? CitusParameters.ApplyToDynamic(dynamic, settings.Postgres.Parameters, CitusParameters.LocalHostName(settings.Postgres.ListenAddress))
            : dynamic;
    }
}
