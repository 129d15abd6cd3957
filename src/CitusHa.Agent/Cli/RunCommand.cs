using System.CommandLine;
using System.Runtime.InteropServices;
using CitusHa.Agent.Api;
using CitusHa.Agent.Citus;
using CitusHa.Agent.Loop;
using CitusHa.Agent.Watchdog;
using CitusHa.Core.Adapters.Postgres;
using CitusHa.Core.Configuration;
using CitusHa.Core.Errors;
using CitusHa.Core.Operations;
using CitusHa.Core.Postgres;

namespace CitusHa.Agent.Cli;

/// <summary><c>citusha run -c citusha.yml</c>: the agent itself — HA loop and REST API in one process.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config-file", "-c") { Description = "The agent's YAML configuration (Patroni's layout). Environment variables CITUSHA_*/PATRONI_* override it." };
        var command = new Command("run", "Run the agent: keep this member's PostgreSQL highly available.");
        command.Options.Add(config);
        command.SetAction(async (result, cancellationToken) =>
        {
            AgentSettings settings;
            AgentSettings Load() => AgentSettingsLoader.Load(result.GetValue(config), Environment.GetEnvironmentVariable);
            try
            {
                settings = Load();
            }
            catch (CitusHaException e)
            {
                await Console.Error.WriteLineAsync($"citusha: {e.Message} [{e.ErrorId}]").ConfigureAwait(false);
                return ExitCodes.For(e.Kind);
            }

            try
            {
                await EnsureUniqueNameAsync(settings, cancellationToken).ConfigureAwait(false);
            }
            catch (CitusHaException e)
            {
                await Console.Error.WriteLineAsync($"citusha: {e.Message} [{e.ErrorId}]").ConfigureAwait(false);
                return ExitCodes.For(e.Kind);
            }

            WebApplication app;
            try
            {
                app = Build(settings, Load);
            }
            catch (CitusHaException e)
            {
                await Console.Error.WriteLineAsync($"citusha: {e.Message} [{e.ErrorId}]").ConfigureAwait(false);
                return ExitCodes.For(e.Kind);
            }

            var loop = app.Services.GetRequiredService<HaLoop>();
            // SIGHUP re-reads the configuration, as it does for Patroni and PostgreSQL.
            using var hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, signal =>
            {
                signal.Cancel = true;
                _ = loop.ReloadAsync(CancellationToken.None);
            });
            await using (app.ConfigureAwait(false))
            {
                await app.RunAsync(cancellationToken).ConfigureAwait(false);
            }

            return 0;
        });
        return command;
    }

    /// <summary>
    /// Patroni's ensure_unique_name: refuse to start when a member with our name is alive (its key
    /// exists and its REST API answers). A key left by our own previous life does not answer.
    /// </summary>
    private static async Task EnsureUniqueNameAsync(AgentSettings settings, CancellationToken cancellationToken)
    {
        var key = Core.Dcs.DcsPaths.MemberKey(settings.Dcs.Namespace, settings.Dcs.Scope!, settings.DcsGroup, settings.Name);
        Core.Dcs.DcsSnapshot snapshot;
        var store = DcsConnection.Open(settings.Dcs);
        await using (store.ConfigureAwait(false))
        {
            try
            {
                snapshot = await store.ReadPrefixAsync(key, cancellationToken).ConfigureAwait(false);
            }
            catch (CitusHaException)
            {
                return; // etcd not reachable yet: the loop will wait for it
            }
        }

        var record = snapshot.Items.FirstOrDefault(i => i.Key == key) is { } kv ? Core.Model.MemberRecord.Parse(kv.Value) : null;
        if (record?.ApiUrl is not { } api || !Uri.TryCreate(api, UriKind.Absolute, out var uri))
        {
            return;
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            using var response = await http.GetAsync(new Uri(uri, "/liveness"), cancellationToken).ConfigureAwait(false);
            throw new CitusHaException(CitusErrorKind.Conflict, ErrorIds.DuplicateMemberName,
                $"Another agent named '{settings.Name}' is alive in group {settings.Group} of '{settings.Dcs.Scope}' (its API at {uri.GetLeftPart(UriPartial.Authority)} answers). Member names must be unique in a group.", settings.Name);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // Nobody answers: the key is a leftover of our own previous run.
        }
    }

    public static WebApplication Build(AgentSettings settings, Func<AgentSettings> load)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        if (settings.RestApiCertificateFile is { } certificateFile)
        {
            var certificates = new ServerCertificateSource(certificateFile, settings.RestApiKeyFile);
            _ = certificates.Current(); // a bad certificate stops the agent here, with a message naming the key
            builder.WebHost.UseKestrelHttpsConfiguration();
            builder.WebHost.ConfigureKestrel(k => k.ConfigureHttpsDefaults(https => https.ServerCertificateSelector = (_, _) => certificates.Current()));
        }

        builder.WebHost.UseUrls($"{settings.RestApiScheme}://{settings.RestApiListen}");
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(60));

        // Intervals (leases, fencing, timeouts) on a clock that never steps; see MonotonicTimeProvider.
        var time = new Core.Adapters.Clock.MonotonicTimeProvider();
        var store = new BoundedDcsStore(DcsConnection.Open(settings.Dcs), settings.Ha.RetryTimeout);
        var citus = CitusMode.Detect(settings);
        var postgresOptions = PostgresOptions.ForAgent(settings, citus.Parameters(settings));
        var postgres = new PostgresInstance(postgresOptions, time);
        var status = new AgentStatus(settings, time) { Citus = citus };
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton<IPostgresControl>(postgres);
        builder.Services.AddSingleton(status);
        builder.Services.AddSingleton(sp => new AgentContext(settings, store, postgres, new LeaseKeeper(store, time), status, sp.GetRequiredService<ILoggerFactory>().CreateLogger("CitusHa.Agent")) { LoadSettings = load, Citus = citus, PostgresOptions = postgresOptions });
        builder.Services.AddSingleton(_ => new PeerClient(PeerHttp.Create(settings, TimeSpan.FromSeconds(5))));
        builder.Services.AddSingleton(sp => new ProcessWatchdog(settings, sp.GetRequiredService<ILoggerFactory>().CreateLogger("CitusHa.Watchdog")));
        builder.Services.AddSingleton(sp => new HaLoop(sp.GetRequiredService<AgentContext>(), sp.GetRequiredService<PeerClient>(), sp.GetRequiredService<ProcessWatchdog>(), sp.GetRequiredService<TimeProvider>())
        {
            PodLabel = Kubernetes.PodRoleLabel.InCluster(settings.Name, Environment.GetEnvironmentVariable, sp.GetRequiredService<ILoggerFactory>().CreateLogger("CitusHa.Kubernetes")),
        });
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HaLoop>());

        var app = builder.Build();
        var postgresLog = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("CitusHa.Postgres");
        postgres.ServerOutput = line => LoopLog.PostgresOutput(postgresLog, settings.Name, line);
        RestApi.Map(app, app.Services.GetRequiredService<AgentContext>(), app.Services.GetRequiredService<HaLoop>(), time);
        app.Services.GetRequiredService<ProcessWatchdog>().Start();
        return app;
    }
}
