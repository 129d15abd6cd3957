using CitusHa.Core.Configuration;

namespace CitusHa.Core.Tests.Configuration;

/// <summary>Where the cmdlets that run SQL on the coordinator find their PostgreSQL user and the Citus database.</summary>
public sealed class PostgresCredentialsResolverTests
{
    private const string AgentYaml = """
        scope: demo
        etcd3:
          hosts: 127.0.0.1:2379
        citus:
          group: 0
          database: analytics
        postgresql:
          authentication:
            superuser:
              username: dba
              password: from-file
        """;

    private static Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
        name => variables.Where(v => v.Name == name).Select(v => v.Value).FirstOrDefault();

    [Fact]
    public void The_configuration_file_gives_the_superuser_and_the_Citus_database()
    {
        var source = DcsConfigFile.Parse(AgentYaml, "agent.yml");
        source.Superuser!.Username.ShouldBe("dba");
        source.Superuser.Password.ShouldBe("from-file");
        source.CitusDatabase.ShouldBe("analytics");

        var plain = DcsConfigFile.Parse("scope: demo\npostgresql:\n  authentication:\n    superuser:\n      username: postgres\n", "patroni.yml");
        plain.Superuser.ShouldBeNull("no password, no credentials");
        plain.CitusDatabase.ShouldBeNull();
    }

    [Theory]
    [InlineData("explicit", "explicit")]
    [InlineData("file", "from-file")]
    [InlineData("session", "from-session")]
    [InlineData("citusha-env", "from-citusha-env")]
    [InlineData("patroni-env", "from-patroni-env")]
    [InlineData("none", null)]
    public void Explicit_beats_the_file_which_beats_the_session_which_beats_the_environment(string mostSpecific, string? expectedPassword)
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, AgentYaml);
            var order = new[] { "explicit", "file", "session", "citusha-env", "patroni-env", "none" };
            var present = order.SkipWhile(o => o != mostSpecific).ToHashSet();
            var environment = new List<(string, string)>();
            if (present.Contains("citusha-env"))
            {
                environment.Add(("CITUSHA_POSTGRES_USERNAME", "env-user"));
                environment.Add(("CITUSHA_POSTGRES_PASSWORD", "from-citusha-env"));
            }

            if (present.Contains("patroni-env"))
            {
                environment.Add(("PATRONI_SUPERUSER_PASSWORD", "from-patroni-env"));
            }

            var resolved = DcsSettingsResolver.ResolvePostgres(
                present.Contains("explicit") ? new DcsCredentials("cli", "explicit") : null,
                present.Contains("file") ? DcsConfigFile.Load(file) : null,
                present.Contains("session") ? new DcsCredentials("session", "from-session") : null,
                Environment([.. environment]));

            resolved?.Password.ShouldBe(expectedPassword);
            if (expectedPassword is null)
            {
                resolved.ShouldBeNull();
            }

            if (mostSpecific == "patroni-env")
            {
                resolved!.Username.ShouldBe("postgres", "PATRONI_SUPERUSER_USERNAME defaults to postgres as in Patroni");
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void The_Citus_database_is_explicit_then_the_file_s_then_citus()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, AgentYaml);
            DcsSettingsResolver.ResolveCitusDatabase("other", DcsConfigFile.Load(file)).ShouldBe("other");
            DcsSettingsResolver.ResolveCitusDatabase(null, DcsConfigFile.Load(file)).ShouldBe("analytics");
            DcsSettingsResolver.ResolveCitusDatabase(null, null).ShouldBe("citus");
        }
        finally
        {
            File.Delete(file);
        }
    }
}
