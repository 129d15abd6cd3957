using CitusHa.Core.Adapters.Postgres;
using CitusHa.Core.Postgres;

namespace CitusHa.Agent.Citus;

/// <summary>
/// What a group's first primary does for Citus before it takes the leader key (Patroni's
/// CitusHandler.bootstrap): the Citus database always; with the library the extension, the
/// superuser's password for node-to-node connections and, on the coordinator, its own registration.
/// </summary>
internal sealed class CitusBootstrap(CitusMode mode, Core.Configuration.AgentSettings settings, PostgresOptions options)
{
    private bool authInfoCurrent;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (mode.Settings is not { } citus)
        {
            return;
        }

        var setup = new CitusDatabaseSetup(options, citus.Database);
        await setup.EnsureDatabaseAsync(cancellationToken).ConfigureAwait(false);
        if (!mode.UseLibrary)
        {
            return;
        }

        await setup.CreateExtensionAsync(cancellationToken).ConfigureAwait(false);
        await setup.EnsureAuthInfoAsync(settings.Postgres.SuperuserPassword, cancellationToken).ConfigureAwait(false);
        authInfoCurrent = true;
        if (settings.IsCoordinator)
        {
            await setup.SetCoordinatorHostAsync(settings.Postgres.ConnectHost, settings.Postgres.ConnectPort, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Once per leadership (and after a reload that changed it): the superuser password in
    /// pg_dist_authinfo follows the configured one, so a rotated Secret does not break Citus'
    /// connections between nodes. Patroni writes it only at bootstrap.
    /// </summary>
    public async Task KeepAuthInfoAsync(string password, CancellationToken cancellationToken)
    {
        if (authInfoCurrent || !mode.UseLibrary || mode.Settings is not { } citus)
        {
            return;
        }

        await new CitusDatabaseSetup(options, citus.Database).EnsureAuthInfoAsync(password, cancellationToken).ConfigureAwait(false);
        authInfoCurrent = true;
    }

    /// <summary>A new term or a new password: check pg_dist_authinfo again.</summary>
    public void RecheckAuthInfo() => authInfoCurrent = false;
}
