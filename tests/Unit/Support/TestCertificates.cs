using System;
using System.IO;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OpenStackMigration.Tests.Support
{
    /// <summary>
    /// Certificates made in the test, the way a lab CA makes them: a self-signed CA and server certificates
    /// it signs for the names given (IP addresses and DNS names go into subjectAltName).
    /// </summary>
    public static class TestCertificates
    {
        public static X509Certificate2 CreateCa(string commonName)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=" + commonName, key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            using var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
            return Reload(ca);
        }

        /// <summary>A server certificate signed by <paramref name="ca"/> for <paramref name="names"/> (the first is the CN).</summary>
        public static X509Certificate2 CreateServer(X509Certificate2 ca, params string[] names)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=" + names[0], key, HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            foreach (var name in names)
            {
                if (IPAddress.TryParse(name, out var address))
                {
                    san.AddIpAddress(address);
                }
                else
                {
                    san.AddDnsName(name);
                }
            }

            request.CertificateExtensions.Add(san.Build());
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
            var serial = new byte[12];
            RandomNumberGenerator.Fill(serial);
            serial[0] &= 0x7f;
            using var signed = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7), serial);
            using var withKey = signed.CopyWithPrivateKey(key);
            return Reload(withKey);
        }

        /// <summary>Writes the certificates (public part only) to a PEM file, as a CA bundle.</summary>
        public static string WritePem(string path, params X509Certificate2[] certificates)
        {
            using var writer = new StreamWriter(path);
            foreach (var certificate in certificates)
            {
                writer.WriteLine(certificate.ExportCertificatePem());
            }

            return path;
        }

        // SslStream on Windows cannot serve with an ephemeral key; a PKCS#12 round trip works everywhere.
        private static X509Certificate2 Reload(X509Certificate2 certificate) =>
            X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
    }
}
