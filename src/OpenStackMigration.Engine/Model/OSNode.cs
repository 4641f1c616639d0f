using System;
using System.Collections.Generic;
using System.Net;

namespace OpenStackMigration.Model
{
    /// <summary>
    /// A node named once per session (Add-OSNode): how the node cmdlets reach the host the cloud calls <see cref="HostName"/>.
    /// The cloud's names are often not what SSH can reach (another address, port or user); the map says what is.
    /// </summary>
    public sealed class OSNode
    {
        /// <summary>The name the cloud uses (a compute service's host, a controller's name); what -ComputerName and the pipeline give.</summary>
        public string HostName { get; set; } = string.Empty;

        /// <summary>The address or DNS name SSH connects to (the host name when not given).</summary>
        public string? Address { get; set; }

        /// <summary>The SSH port (22 when not given).</summary>
        public int? Port { get; set; }

        /// <summary>The SSH user.</summary>
        public string? UserName { get; set; }

        /// <summary>The private key file for SSH.</summary>
        public string? KeyFilePath { get; set; }

        /// <summary>The known_hosts file its host key is checked against.</summary>
        public string? KnownHostsPath { get; set; }

        /// <summary>Run commands through sudo on it.</summary>
        public bool Sudo { get; set; }

        /// <summary>Roles (controller, compute, network...) that -Role on the node cmdlets selects it by.</summary>
        public IReadOnlyList<string> Role { get; set; } = Array.Empty<string>();

        /// <summary>True when a password credential (or a key passphrase) is kept for it; the secret itself is never shown.</summary>
        public bool HasCredential { get; set; }

        /// <summary>Whether this entry is the node a name refers to: the same name, or the same first label (compute3 and compute3.example.org).</summary>
        public bool Matches(string name)
        {
            if (string.Equals(HostName, name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            return string.Equals(FirstLabel(HostName), FirstLabel(name), StringComparison.OrdinalIgnoreCase) && !IsAddress(name) && !IsAddress(HostName);
        }

        /// <inheritdoc/>
        public override string ToString() => $"{HostName} -> {Address ?? HostName}:{Port ?? 22}";

        private static string FirstLabel(string name)
        {
            var dot = name.IndexOf('.');
            return dot > 0 ? name.Substring(0, dot) : name;
        }

        private static bool IsAddress(string name) => IPAddress.TryParse(name, out _);
    }
}
