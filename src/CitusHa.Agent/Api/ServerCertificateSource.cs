using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CitusHa.Core.Errors;

namespace CitusHa.Agent.Api;

/// <summary>
/// The REST API's TLS certificate from PEM files, read again when a file changes, so a rotated
/// certificate (cert-manager, a renewed Secret mount) is served without restarting the agent.
/// </summary>
internal sealed class ServerCertificateSource(string certificateFile, string? keyFile)
{
    private readonly object gate = new();
    private (DateTime Certificate, DateTime Key) loadedStamps;
    private X509Certificate2? current;

    /// <summary>The certificate to present; a file that became unreadable keeps the last good one.</summary>
    public X509Certificate2 Current()
    {
        lock (gate)
        {
            var stamps = Stamps();
            if (current is null || stamps != loadedStamps)
            {
                try
                {
                    current = Load();
                    loadedStamps = stamps;
                }
                catch (CitusHaException) when (current is not null)
                {
                    // Half-written during a rotation: serve the previous certificate and try again next handshake.
                }
            }

            return current;
        }
    }

    private (DateTime, DateTime) Stamps() => (File.GetLastWriteTimeUtc(certificateFile), keyFile is null ? default : File.GetLastWriteTimeUtc(keyFile));

    private X509Certificate2 Load()
    {
        try
        {
            var certificate = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
            return certificate.HasPrivateKey
                ? certificate
                : throw new CryptographicException("the file holds no private key");
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.ConfigFileInvalid,
                $"The REST API certificate (restapi.certfile '{certificateFile}'{(keyFile is null ? string.Empty : $", restapi.keyfile '{keyFile}'")}) cannot be used: {e.Message}. Give a PEM certificate and its private key.",
                certificateFile, e);
        }
    }
}
