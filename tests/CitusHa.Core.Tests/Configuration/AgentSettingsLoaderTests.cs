using CitusHa.Core.Configuration;
using CitusHa.Core.Errors;
using CitusHa.Core.Ha;

namespace CitusHa.Core.Tests.Configuration;

public sealed class AgentSettingsLoaderTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("citusha-config-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string File(string name, string text)
    {
        var path = Path.Combine(folder, name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    private static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.Where(v => v.Name == name).Select(v => v.Value).FirstOrDefault();

    private const string Minimal = """
        scope: demo
        name: m1
        postgresql:
          data_dir: /var/lib/citusha/data
          authentication:
            superuser: {username: postgres, password: s}
            replication: {username: replicator, password: r}
        """;

    [Theory]
    [InlineData(null, WatchdogMode.Automatic)]
    [InlineData("off", WatchdogMode.Off)]
    [InlineData("required", WatchdogMode.Required)]
    public void Watchdog_mode_uses_Patronis_names(string? mode, WatchdogMode expected)
    {
        var yaml = mode is null ? Minimal : Minimal + $"\nwatchdog: {{mode: {mode}, safety_margin: 3}}\n";
        var settings = AgentSettingsLoader.Load(File("w.yml", yaml), Env());
        settings.WatchdogMode.ShouldBe(expected);
        settings.WatchdogSafetyMargin.ShouldBe(TimeSpan.FromSeconds(mode is null ? 2 : 3));
    }

    private const string WithHba = """
        scope: demo
        name: m1
        postgresql:
          data_dir: /var/lib/citusha/data
          authentication:
            superuser: {username: postgres, password: s}
            replication: {username: replicator, password: r}
          pg_hba:
            - host replication replicator 10.0.0.0/8 scram-sha-256
            - host all analyst,reporter 10.1.0.0/16 scram-sha-256
            - "# office VPN"
            - hostssl all all 0.0.0.0/0 scram-sha-256
          callbacks: {on_start: /bin/true}
          pg_ident: ["map1 root postgres"]
        bootstrap:
          initdb: [{encoding: UTF8}, data-checksums]
        tags: {clonefrom: true}
        """;

    [Fact]
    public void Pg_hba_lines_are_kept_as_given_commas_included()
    {
        var settings = AgentSettingsLoader.Load(File("hba.yml", WithHba), Env());
        settings.Postgres.PgHba.ShouldBe([
            "host replication replicator 10.0.0.0/8 scram-sha-256",
            "host all analyst,reporter 10.1.0.0/16 scram-sha-256",
            "# office VPN",
            "hostssl all all 0.0.0.0/0 scram-sha-256",
        ]);
        AgentSettingsLoader.Load(File("min.yml", Minimal), Env()).Postgres.PgHba.ShouldBeNull("no pg_hba: the agent's own rules");
    }

    [Fact]
    public void A_pg_hba_line_PostgreSQL_would_refuse_is_named_before_anything_starts()
    {
        var error = Should.Throw<CitusHaException>(() => AgentSettingsLoader.Load(File("bad.yml", WithHba.Replace("hostssl all all", "hots all all", StringComparison.Ordinal)), Env()));
        error.ErrorId.ShouldBe(ErrorIds.InvalidConfiguration);
        error.Message.ShouldContain("postgresql.pg_hba");
        error.Message.ShouldContain("'hots all all 0.0.0.0/0 scram-sha-256'");
    }

    [Fact]
    public void Patroni_settings_the_agent_does_not_act_on_are_named()
    {
        AgentSettingsLoader.Load(File("hba.yml", WithHba), Env()).UnsupportedKeys
            .ShouldBe(["postgresql.pg_ident", "postgresql.callbacks", "bootstrap.initdb", "tags.clonefrom"]);
        AgentSettingsLoader.Load(File("min.yml", Minimal), Env()).UnsupportedKeys.ShouldBeEmpty();
        AgentSettingsLoader.Load(File("rw.yml", WithHba.Replace("  callbacks:", "  remove_data_directory_on_rewind_failure: false\n  callbacks:", StringComparison.Ordinal)), Env()).UnsupportedKeys
            .ShouldContain("postgresql.remove_data_directory_on_rewind_failure", "the agent re-clones after a failed rewind whatever this says");
    }

    [Fact]
    public void An_unknown_watchdog_mode_is_named()
    {
        var error = Should.Throw<CitusHaException>(() => AgentSettingsLoader.Load(File("w.yml", Minimal + "\nwatchdog: {mode: sometimes}\n"), Env()));
        error.Message.ShouldContain("watchdog.mode");
    }

    [Fact]
    public void Tls_files_must_exist_and_switch_the_api_url_to_https()
    {
        var missing = Should.Throw<CitusHaException>(() => AgentSettingsLoader.Load(File("tls.yml", Minimal + "\nrestapi: {certfile: /nonexistent/api.pem}\n"), Env()));
        missing.Message.ShouldContain("restapi.certfile");

        var cert = File("api.pem", "placeholder");
        var keyOnly = Should.Throw<CitusHaException>(() => AgentSettingsLoader.Load(File("key.yml", Minimal + $"\nrestapi: {{keyfile: {cert}}}\n"), Env()));
        keyOnly.Message.ShouldContain("restapi.keyfile");

        var settings = AgentSettingsLoader.Load(File("ok.yml", Minimal), Env(("CITUSHA_RESTAPI_CERTFILE", cert), ("CITUSHA_RESTAPI_CAFILE", cert)));
        settings.ApiUrl.ShouldBe("https://127.0.0.1:8008/patroni");
        settings.RestApiCaFile.ShouldBe(cert);
    }

    [Theory]
    [InlineData("scope: [demo\nname: m1\n")]
    [InlineData("scope: demo\n  name: : m1\n")]
    public void Broken_YAML_is_a_configuration_error_naming_the_file(string yaml)
    {
        var path = File("broken.yml", yaml);
        var error = Should.Throw<CitusHaException>(() => AgentSettingsLoader.Load(path, Env()));
        error.ErrorId.ShouldBe(ErrorIds.ConfigFileInvalid);
        error.Message.ShouldContain(path);
    }

    [Fact]
    public void A_Patroni_style_file_gives_a_complete_validated_configuration()
    {
        var settings = AgentSettingsLoader.Load(File("a.yml", Minimal + """

            citus: {group: 2}
            etcd3: {hosts: 'e1:2379,e2:2379'}
            restapi: {listen: '0.0.0.0:8008', connect_address: 'm1.demo:8008'}
            tags: {nofailover: true, failover_priority: 3}
            bootstrap:
              dcs: {ttl: 20, loop_wait: 2, retry_timeout: 5, synchronous_mode: 'on'}
            """), Env());
        settings.Name.ShouldBe("m1");
        settings.Group.ShouldBe(2);
        settings.Dcs.Scope.ShouldBe("demo");
        settings.Dcs.Endpoints.Count.ShouldBe(2);
        settings.ApiUrl.ShouldBe("http://m1.demo:8008/patroni");
        settings.NoFailover.ShouldBeTrue();
        settings.FailoverPriority.ShouldBe(3);
        settings.Ha.Ttl.ShouldBe(TimeSpan.FromSeconds(20));
        settings.Ha.SynchronousMode.ShouldBe(SynchronousMode.On);
        settings.StateDirectory.ShouldBe("/var/lib/citusha/citusha-state");
    }

    [Fact]
    public void Environment_variables_override_the_file_and_CitusHa_names_win_over_Patroni_names()
    {
        var settings = AgentSettingsLoader.Load(File("a.yml", Minimal), Env(("PATRONI_NAME", "from-patroni"), ("CITUSHA_NAME", "from-citusha"), ("PATRONI_CITUS_GROUP", "4")));
        settings.Name.ShouldBe("from-citusha");
        settings.Group.ShouldBe(4);
    }

    [Fact]
    public void Secrets_come_from_files_and_never_show_in_the_settings_text()
    {
        var secret = File("super.secret", "very-secret\n");
        var settings = AgentSettingsLoader.Load(File("a.yml", Minimal), Env(("CITUSHA_SUPERUSER_PASSWORD_FILE", secret)));
        settings.Postgres.SuperuserPassword.ShouldBe("very-secret");
        settings.ToString().ShouldNotContain("very-secret");
        settings.Postgres.ToString().ShouldNotContain("very-secret");
    }

    [Theory]
    [InlineData("name: ''", "'name'")]
    [InlineData("citus: {group: -1}", "'citus.group'")]
    [InlineData("restapi: {listen: 'nohost'}", "'restapi.listen'")]
    [InlineData("postgresql: {listen: 'h:99999'}", "'postgresql.listen'")]
    [InlineData("bootstrap: {dcs: {ttl: 5, loop_wait: 1, retry_timeout: 3}}", "loop_wait + 2")]
    [InlineData("bootstrap: {dcs: {synchronous_mode: maybe}}", "'bootstrap.dcs.synchronous_mode'")]
    [InlineData("tags: {nofailover: perhaps}", "'tags.nofailover'")]
    public void A_bad_value_is_refused_naming_the_key(string yaml, string named)
    {
        var text = Minimal + "\n" + yaml;
        if (yaml.StartsWith("name:", StringComparison.Ordinal))
        {
            text = Minimal.Replace("name: m1", yaml, StringComparison.Ordinal);
        }
        else if (yaml.StartsWith("postgresql:", StringComparison.Ordinal))
        {
            text = Minimal.Replace("postgresql:", "postgresql:\n  listen: 'h:99999'", StringComparison.Ordinal);
        }

        var error = Should.Throw<CitusHaException>(() => AgentSettingsLoader.Load(File("bad.yml", text), Env()));
        error.ErrorId.ShouldBe(ErrorIds.InvalidConfiguration, error.Message);
        error.Message.ShouldContain(named);
    }

    [Fact]
    public void A_missing_password_says_which_key_and_how_to_give_it()
    {
        var text = Minimal.Replace("replication: {username: replicator, password: r}", "replication: {username: replicator}", StringComparison.Ordinal);
        var error = Should.Throw<CitusHaException>(() => AgentSettingsLoader.Load(File("a.yml", text), Env()));
        error.Message.ShouldContain("postgresql.authentication.replication.password");
        error.Message.ShouldContain("_FILE");
    }

    [Fact]
    public void An_unreadable_secret_file_names_the_variable()
    {
        var error = Should.Throw<CitusHaException>(() => AgentSettingsLoader.Load(File("a.yml", Minimal), Env(("CITUSHA_REPLICATION_PASSWORD_FILE", "/nonexistent/secret"))));
        error.Message.ShouldContain("CITUSHA_REPLICATION_PASSWORD_FILE");
    }

    [Fact]
    public void The_state_directory_may_not_live_inside_the_data_directory()
    {
        var error = Should.Throw<CitusHaException>(() => AgentSettingsLoader.Load(File("a.yml", Minimal + "\ncitusha: {state_dir: /var/lib/citusha/data/state}"), Env()));
        error.Message.ShouldContain("citusha.state_dir");
    }
}
