using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CitusHa.Testing;

namespace CitusHa.IntegrationTests;

/// <summary>The REST API over HTTPS with basic authentication, through running agents.</summary>
public sealed class RestApiSecurityTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("citusha-tls-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>A private CA and a server certificate for 127.0.0.1 signed by it, as PEM files.</summary>
    private (string Certificate, string Ca, X509Certificate2 CaCertificate) CreateCertificates()
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=CitusHa test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));

        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var leaf = request.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(12), RandomNumberGenerator.GetBytes(8));

        var certificate = Path.Combine(folder, "server.pem");
        File.WriteAllText(certificate, leaf.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n");
        var caFile = Path.Combine(folder, "ca.pem");
        File.WriteAllText(caFile, ca.ExportCertificatePem() + "\n");
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
        return (certificate, caFile, ca);
    }

    private static HttpClient TrustingClient(X509Certificate2 ca)
    {
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return certificate is not null && chain.Build(certificate);
            },
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
    }

    [Fact]
    public async Task Https_with_basic_auth_refuses_anonymous_changes_and_allows_an_authenticated_switchover()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(4));
        var (certificate, caFile, ca) = CreateCertificates();
        await using var harness = await FormationHarness.StartAsync(members: 2, cancellationToken: ct,
            customize: o => o with { RestApiTls = (certificate, caFile), RestApiAuthentication = ("operator", "s3cret:pass") });
        using var http = TrustingClient(ca);
        var leader = (await harness.LeaderAsync(ct))!;
        var api = harness.Formation.Member(leader).ApiUrl;
        api.ShouldStartWith("https://");

        using (var status = await http.GetAsync(new Uri($"{api}/patroni"), ct))
        {
            status.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await status.Content.ReadAsStringAsync(ct)).ShouldContain("\"role\":\"primary\"");
        }

        var members = await harness.MembersAsync(ct);
        members.ShouldAllBe(m => m.ApiUrl!.StartsWith("https://", StringComparison.Ordinal));

        // Every mutating endpoint refuses anonymous and wrong credentials, and nothing changes.
        var mutations = new (HttpMethod Method, string Path, string Body)[]
        {
            (HttpMethod.Post, "/switchover", $$"""{"leader":"{{leader}}"}"""),
            (HttpMethod.Post, "/failover", """{"candidate":"nobody"}"""),
            (HttpMethod.Post, "/restart", "{}"),
            (HttpMethod.Delete, "/restart", string.Empty),
            (HttpMethod.Post, "/reload", string.Empty),
            (HttpMethod.Post, "/reinitialize", "{}"),
            (new HttpMethod("PATCH"), "/config", """{"ttl":20}"""),
        };
        foreach (var (method, path, body) in mutations)
        {
            foreach (var authorization in new AuthenticationHeaderValue?[] { null, Basic("operator", "wrong") })
            {
                using var request = new HttpRequestMessage(method, $"{api}{path}") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                request.Headers.Authorization = authorization;
                using var response = await http.SendAsync(request, ct);
                response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, $"{method} {path} with {(authorization is null ? "no" : "wrong")} credentials");
                response.Headers.WwwAuthenticate.ToString().ShouldContain("Basic");
            }
        }

        (await harness.LeaderAsync(ct)).ShouldBe(leader);

        // Plain HTTP to the HTTPS port gets no answer from the API.
        using (var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(5) })
        {
            var plainStatus = await TryStatusAsync(plain, $"http://127.0.0.1:{harness.Formation.Member(leader).ApiPort}/patroni", ct);
            plainStatus.ShouldNotBe(HttpStatusCode.OK);
        }

        // With the right credentials, over HTTPS: a switchover.
        using (var request = new HttpRequestMessage(HttpMethod.Post, $"{api}/switchover") { Content = new StringContent($$"""{"leader":"{{leader}}"}""", Encoding.UTF8, "application/json") })
        {
            request.Headers.Authorization = Basic("operator", "s3cret:pass");
            using var response = await http.SendAsync(request, ct);
            response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync(ct));
        }

        var other = harness.Formation.Members.Single(m => m.Name != leader).Name;
        await harness.WaitForHealthyAsync(2, TimeSpan.FromSeconds(60), ct, leader: other);

        // The module over HTTPS: the members' private CA must be given, and the API's credentials.
        using var session = CitusHa.Testing.PowerShell.ModuleSession.Open();
        session.ScriptTimeout = TimeSpan.FromSeconds(90);
        var variables = new System.Collections.Hashtable { ["endpoint"] = harness.Formation.EtcdEndpoint, ["ca"] = caFile };
        const string Credentials = """
            $right = [pscredential]::new('operator', [System.Net.NetworkCredential]::new('', 's3cret:pass').SecurePassword)
            $wrong = [pscredential]::new('operator', [System.Net.NetworkCredential]::new('', 'wrong').SecurePassword)
            """;
        System.Management.Automation.ErrorRecord Refused(string command)
        {
            var result = session.Invoke($"{Credentials}\ntry {{ {command} }} catch {{ $_ }}", variables);
            return result.Output.Select(o => o.BaseObject).OfType<System.Management.Automation.ErrorRecord>().ShouldHaveSingleItem(result.Describe());
        }

        var untrusted = Refused("Invoke-CitusSwitchover demo -Group 0 -Endpoint $endpoint -ApiCredential $right -Force");
        untrusted.FullyQualifiedErrorId.ShouldStartWith("MemberCertificateUntrusted,", customMessage: untrusted.Exception.Message);
        untrusted.Exception.Message.ShouldContain("-ApiCertificateAuthority");
        var unauthorized = Refused("Invoke-CitusSwitchover demo -Group 0 -Endpoint $endpoint -ApiCredential $wrong -ApiCertificateAuthority $ca -Force");
        unauthorized.FullyQualifiedErrorId.ShouldStartWith("ApiAuthenticationFailed,", customMessage: unauthorized.Exception.Message);
        unauthorized.Exception.Message.ShouldNotContain("wrong");
        (await harness.LeaderAsync(ct)).ShouldBe(other, "refused requests change nothing");

        var switched = session.Invoke($"{Credentials}\nConnect-CitusCluster demo -Endpoint $endpoint -ApiCredential $right -ApiCertificateAuthority $ca | Out-Null; Invoke-CitusSwitchover -Group 0 -Force", variables);
        switched.Errors.ShouldBeEmpty(switched.Describe());
        switched.Output.ShouldHaveSingleItem().Properties["NewLeader"].Value.ShouldBe(leader);
        await harness.WaitForHealthyAsync(2, TimeSpan.FromSeconds(60), ct, leader: leader);
    }

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    private static async Task<HttpStatusCode?> TryStatusAsync(HttpClient client, string url, CancellationToken ct)
    {
        try
        {
            using var response = await client.GetAsync(new Uri(url), ct);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}
