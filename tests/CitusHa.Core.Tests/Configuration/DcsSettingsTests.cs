using CitusHa.Core.Configuration;
using CitusHa.Core.Errors;

namespace CitusHa.Core.Tests.Configuration;

public sealed class DcsSettingsTests
{
    [Theory]
    [InlineData("127.0.0.1:2379", "http://127.0.0.1:2379/")]
    [InlineData("etcd-0.etcd", "http://etcd-0.etcd:2379/")]
    [InlineData("http://etcd:2380", "http://etcd:2380/")]
    [InlineData("https://etcd.example", "https://etcd.example:2379/")]
    [InlineData("http://etcd:80", "http://etcd/")]
    [InlineData("[::1]:2379", "http://[::1]:2379/")]
    public void Endpoints_are_normalised_to_urls_with_etcds_port_by_default(string given, string expected)
    {
        var settings = DcsSettings.Create([given], null, null, null, null);
        settings.Endpoints.Single().ToString().ShouldBe(expected);
    }

    [Fact]
    public void A_comma_separated_host_list_is_split_like_Patroni_does()
    {
        var settings = DcsSettings.Create(["a:1,b:2", "c:3"], null, null, null, null);
        settings.Endpoints.Select(e => e.Authority).ShouldBe(["a:1", "b:2", "c:3"]);
    }

    [Fact]
    public void No_endpoint_means_the_local_default()
    {
        DcsSettings.Create(null, null, null, null, null).Endpoints.ShouldBe([DcsSettings.DefaultEndpoint]);
    }

    [Theory]
    [InlineData("ftp://etcd:21")]
    [InlineData("http://etcd:2379/v3")]
    [InlineData("http://")]
    [InlineData("etcd:notaport")]
    public void A_bad_endpoint_is_refused_with_its_text_and_an_example(string given)
    {
        var error = Should.Throw<CitusHaException>(() => DcsSettings.Create([given], null, null, null, null));
        error.ErrorId.ShouldBe(ErrorIds.InvalidEndpoint);
        error.Kind.ShouldBe(CitusErrorKind.InvalidArgument);
        error.Message.ShouldContain(given);
        error.Message.ShouldContain("host:port");
    }

    [Theory]
    [InlineData(null, "/service")]
    [InlineData("/service/", "/service")]
    [InlineData("service", "/service")]
    [InlineData("/a/b/", "/a/b")]
    public void The_namespace_gets_one_leading_slash_and_no_trailing_one(string? given, string expected)
    {
        DcsSettings.Create(null, given, null, null, null).Namespace.ShouldBe(expected);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/a//b")]
    [InlineData("/with space")]
    public void A_bad_namespace_is_refused(string given)
    {
        Should.Throw<CitusHaException>(() => DcsSettings.Create(null, given, null, null, null)).ErrorId.ShouldBe(ErrorIds.InvalidNamespace);
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("")]
    [InlineData("two words")]
    public void A_bad_cluster_name_is_refused(string given)
    {
        Should.Throw<CitusHaException>(() => DcsSettings.Create(null, null, given, null, null)).ErrorId.ShouldBe(ErrorIds.InvalidClusterName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(3601)]
    public void A_timeout_outside_one_second_to_one_hour_is_refused(int seconds)
    {
        Should.Throw<CitusHaException>(() => DcsSettings.Create(null, null, null, null, TimeSpan.FromSeconds(seconds))).ErrorId.ShouldBe(ErrorIds.InvalidTimeout);
    }

    [Fact]
    public void The_password_never_appears_in_the_settings_text()
    {
        var settings = DcsSettings.Create(null, null, "demo", new DcsCredentials("root", "s3cret-value"), null);
        settings.ToString().ShouldNotContain("s3cret-value");
        settings.ToString().ShouldContain("root");
    }
}
