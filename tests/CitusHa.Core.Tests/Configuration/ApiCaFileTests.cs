using CitusHa.Core.Configuration;
using CitusHa.Core.Errors;

namespace CitusHa.Core.Tests.Configuration;

/// <summary>The CA file for the members' HTTPS REST API: where it comes from, and a bad one named at once.</summary>
public sealed class ApiCaFileTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("citusha-ca-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string File(string name, string content)
    {
        var path = Path.Combine(folder, name);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void The_parameter_wins_over_the_session_and_the_environment()
    {
        var given = File("given.pem", "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n");
        var session = File("session.pem", "-----BEGIN CERTIFICATE-----\ny\n-----END CERTIFICATE-----\n");
        var environment = File("env.pem", "-----BEGIN CERTIFICATE-----\nz\n-----END CERTIFICATE-----\n");
        string? Env(string name) => name == "CITUSHA_RESTAPI_CAFILE" ? environment : null;

        DcsSettingsResolver.ResolveApiCaFile(given, session, Env).ShouldBe(given);
        DcsSettingsResolver.ResolveApiCaFile(null, session, Env).ShouldBe(session);
        DcsSettingsResolver.ResolveApiCaFile(null, null, Env).ShouldBe(environment);
        DcsSettingsResolver.ResolveApiCaFile(null, null, _ => null).ShouldBeNull();
    }

    [Theory]
    [InlineData(false, "does not exist")]
    [InlineData(true, "holds no PEM certificate")]
    public void A_missing_or_wrong_file_is_refused_naming_it(bool exists, string message)
    {
        var path = exists ? File("key.pem", "-----BEGIN PRIVATE KEY-----\n") : Path.Combine(folder, "missing.pem");

        var error = Should.Throw<CitusHaException>(() => DcsSettingsResolver.ResolveApiCaFile(path, null, _ => null));

        error.ErrorId.ShouldBe(ErrorIds.InvalidCertificateAuthority);
        error.Message.ShouldContain(path);
        error.Message.ShouldContain(message);
    }
}
