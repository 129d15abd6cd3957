using System.Text;
using CitusHa.Agent.Api;
using CitusHa.Core.Configuration;
using Microsoft.AspNetCore.Http;

namespace CitusHa.Agent.Tests.Api;

/// <summary>Every mutating endpoint runs this check first; a refusal changes nothing.</summary>
public sealed class BasicAuthenticationTests
{
    private static readonly DcsCredentials Expected = new("admin", "s3cret:with-colon");

    private static DefaultHttpContext Request(string? authorization)
    {
        var http = new DefaultHttpContext();
        if (authorization is not null)
        {
            http.Request.Headers.Authorization = authorization;
        }

        return http;
    }

    private static string Basic(string user, string password) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    [Fact]
    public void Without_configured_credentials_every_request_passes()
    {
        BasicAuthentication.Check(Request(null), null).ShouldBeNull();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer abc")]
    [InlineData("Basic not-base64!")]
    public void A_missing_or_malformed_header_is_refused_with_a_challenge(string? header)
    {
        var http = Request(header);
        BasicAuthentication.Check(http, Expected).ShouldNotBeNull();
        http.Response.Headers.WWWAuthenticate.ToString().ShouldBe("Basic realm=\"Patroni\"");
    }

    [Fact]
    public void Wrong_credentials_are_refused_and_right_ones_pass()
    {
        BasicAuthentication.Check(Request(Basic("admin", "wrong")), Expected).ShouldNotBeNull();
        BasicAuthentication.Check(Request(Basic("other", "s3cret:with-colon")), Expected).ShouldNotBeNull();
        BasicAuthentication.Check(Request(Basic("admin", "s3cret:with-colon")), Expected).ShouldBeNull();
    }
}
