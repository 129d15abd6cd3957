using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CitusHa.Agent.Api;
using CitusHa.Core.Errors;

namespace CitusHa.Agent.Tests.Api;

/// <summary>The REST API certificate: read from PEM, replaced when the file is rotated, never lost to a half-written file.</summary>
public sealed class ServerCertificateSourceTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("citusha-cert-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static string NewPem(string subject)
    {
        using var key = ECDsa.Create();
        using var certificate = new CertificateRequest(subject, key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1));
        return certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n";
    }

    [Fact]
    public void A_rotated_file_is_served_and_a_broken_rewrite_keeps_the_last_good_certificate()
    {
        var path = Path.Combine(folder, "api.pem");
        File.WriteAllText(path, NewPem("CN=first"));
        var source = new ServerCertificateSource(path, null);
        source.Current().Subject.ShouldBe("CN=first");

        File.WriteAllText(path, NewPem("CN=second"));
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(5));
        source.Current().Subject.ShouldBe("CN=second");

        File.WriteAllText(path, "-----BEGIN CERTIFICATE-----\ntruncated");
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(10));
        source.Current().Subject.ShouldBe("CN=second");
    }

    [Fact]
    public void A_certificate_without_its_key_is_refused_naming_the_setting()
    {
        var path = Path.Combine(folder, "cert-only.pem");
        using var key = ECDsa.Create();
        using var certificate = new CertificateRequest("CN=nokey", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1));
        File.WriteAllText(path, certificate.ExportCertificatePem());

        var error = Should.Throw<CitusHaException>(() => new ServerCertificateSource(path, null).Current());
        error.Message.ShouldContain("restapi.certfile");
        error.Message.ShouldNotContain("-----BEGIN", Case.Sensitive, "no file content in messages");
    }
}
