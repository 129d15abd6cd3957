using CitusHa.Core.Configuration;
using CitusHa.Core.Errors;

namespace CitusHa.Core.Tests.Configuration;

public sealed class DcsConfigFileTests
{
    [Fact]
    public void A_Patroni_configuration_gives_scope_namespace_hosts_and_credentials()
    {
        const string yaml = """
            scope: demo
            namespace: /citus/
            name: coord1
            etcd3:
              hosts: 10.0.0.1:2379,10.0.0.2:2379
              username: patroni
              password: pw
            citus:
              group: 0
              database: citus
            postgresql:
              parameters: {max_connections: 100}
            """;
        var source = DcsConfigFile.Parse(yaml, "patroni.yml");
        source.Scope.ShouldBe("demo");
        source.Namespace.ShouldBe("/citus/");
        source.Endpoints.ShouldBe(["10.0.0.1:2379,10.0.0.2:2379"]);
        source.Credentials!.Username.ShouldBe("patroni");
        source.Credentials.Password.ShouldBe("pw");
    }

    [Fact]
    public void Hosts_may_be_a_list_and_protocol_applies_to_each()
    {
        const string yaml = """
            etcd3:
              protocol: https
              hosts:
                - a:2379
                - b:2379
            """;
        DcsConfigFile.Parse(yaml, "x.yml").Endpoints.ShouldBe(["https://a:2379", "https://b:2379"]);
    }

    [Fact]
    public void The_v2_etcd_section_is_read_when_there_is_no_etcd3_one()
    {
        DcsConfigFile.Parse("etcd:\n  host: 127.0.0.1:2379\n", "x.yml").Endpoints.ShouldBe(["127.0.0.1:2379"]);
    }

    [Fact]
    public void An_empty_file_gives_nothing()
    {
        var source = DcsConfigFile.Parse(string.Empty, "empty.yml");
        source.ShouldBe(new DcsSettingsSource());
    }

    [Fact]
    public void Broken_yaml_is_reported_with_the_file_and_line()
    {
        var error = Should.Throw<CitusHaException>(() => DcsConfigFile.Parse("scope: demo\netcd3:\n  hosts: [a, b\n", "bad.yml"));
        error.ErrorId.ShouldBe(ErrorIds.ConfigFileInvalid);
        error.Message.ShouldContain("bad.yml");
        error.Message.ShouldContain("line");
    }

    [Theory]
    [InlineData("scope: [a, b]\n", "scope")]
    [InlineData("etcd3: just-a-string\n", "etcd3")]
    [InlineData("etcd3:\n  hosts: {a: 1}\n", "etcd3.hosts")]
    [InlineData("- a\n- b\n", "mapping")]
    public void A_value_of_the_wrong_shape_names_the_key(string yaml, string named)
    {
        var error = Should.Throw<CitusHaException>(() => DcsConfigFile.Parse(yaml, "bad.yml"));
        error.ErrorId.ShouldBe(ErrorIds.ConfigFileInvalid);
        error.Message.ShouldContain(named);
    }

    [Fact]
    public void A_missing_file_says_so_with_its_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.yml");
        var error = Should.Throw<CitusHaException>(() => DcsConfigFile.Load(path));
        error.ErrorId.ShouldBe(ErrorIds.ConfigFileNotFound);
        error.Kind.ShouldBe(CitusErrorKind.NotFound);
        error.Message.ShouldContain(path);
    }
}
