using CitusHa.Core.Configuration;

namespace CitusHa.Core.Tests.Configuration;

public sealed class DcsSettingsResolverTests
{
    private static Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
        name => variables.Where(v => v.Name == name).Select(v => v.Value).FirstOrDefault();

    [Fact]
    public void Explicit_values_beat_the_file_which_beats_the_environment()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "scope: from-file\nnamespace: /file\netcd3:\n  hosts: file:1\n");
            var env = Environment(("CITUSHA_SCOPE", "from-env"), ("CITUSHA_ETCD_HOSTS", "env:1"), ("CITUSHA_NAMESPACE", "/env"));

            var fromFile = DcsSettingsResolver.Resolve(new DcsSettingsSource(), file, env);
            fromFile.Scope.ShouldBe("from-file");
            fromFile.Namespace.ShouldBe("/file");
            fromFile.Endpoints.Single().Authority.ShouldBe("file:1");

            var explicitWins = DcsSettingsResolver.Resolve(new DcsSettingsSource(["cli:1"], "/cli", "from-cli"), file, env);
            explicitWins.Scope.ShouldBe("from-cli");
            explicitWins.Namespace.ShouldBe("/cli");
            explicitWins.Endpoints.Single().Authority.ShouldBe("cli:1");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Patroni_environment_names_are_understood()
    {
        var settings = DcsSettingsResolver.Resolve(new DcsSettingsSource(), null,
            Environment(("PATRONI_SCOPE", "batman"), ("PATRONI_ETCD3_HOSTS", "'e1:2379','e2:2379'"), ("PATRONI_NAMESPACE", "/svc"), ("PATRONI_ETCD3_USERNAME", "u"), ("PATRONI_ETCD3_PASSWORD", "p")));
        settings.Scope.ShouldBe("batman");
        settings.Namespace.ShouldBe("/svc");
        settings.Endpoints.Select(e => e.Authority).ShouldBe(["e1:2379", "e2:2379"]);
        settings.Credentials!.Username.ShouldBe("u");
    }

    [Fact]
    public void CitusHa_names_win_over_Patroni_names()
    {
        var settings = DcsSettingsResolver.Resolve(new DcsSettingsSource(), null,
            Environment(("PATRONI_SCOPE", "patroni"), ("CITUSHA_SCOPE", "citusha")));
        settings.Scope.ShouldBe("citusha");
    }

    [Fact]
    public void Nothing_anywhere_gives_the_defaults()
    {
        var settings = DcsSettingsResolver.Resolve(new DcsSettingsSource(), null, Environment());
        settings.Scope.ShouldBeNull();
        settings.Namespace.ShouldBe("/service");
        settings.Endpoints.ShouldBe([DcsSettings.DefaultEndpoint]);
        settings.Timeout.ShouldBe(DcsSettings.DefaultTimeout);
    }
}
