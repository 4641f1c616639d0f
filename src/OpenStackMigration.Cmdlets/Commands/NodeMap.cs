using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using OpenStackMigration.Model;

namespace OpenStackMigration.Commands
{
    /// <summary>
    /// The nodes named with Add-OSNode for this process: the node cmdlets look up every -ComputerName (and piped HostName)
    /// here first. Credentials are kept apart from the <see cref="OSNode"/> objects users see.
    /// </summary>
    internal static class NodeMap
    {
        private static readonly object Gate = new object();
        private static readonly List<(OSNode Node, PSCredential? Credential)> Entries = new List<(OSNode, PSCredential?)>();

        /// <summary>Adds a node, or replaces the one of the same host name.</summary>
        public static void Set(OSNode node, PSCredential? credential)
        {
            node.HasCredential = credential != null;
            lock (Gate)
            {
                Entries.RemoveAll(e => string.Equals(e.Node.HostName, node.HostName, StringComparison.OrdinalIgnoreCase));
                Entries.Add((node, credential));
            }
        }

        /// <summary>Removes a node; false when it was not there.</summary>
        public static bool Remove(string hostName)
        {
            lock (Gate)
            {
                return Entries.RemoveAll(e => string.Equals(e.Node.HostName, hostName, StringComparison.OrdinalIgnoreCase)) > 0;
            }
        }

        /// <summary>Every node, in the order added.</summary>
        public static IReadOnlyList<OSNode> All()
        {
            lock (Gate)
            {
                return Entries.Select(e => e.Node).ToList();
            }
        }

        /// <summary>The node a name refers to (exact name first, then the same first label), with its credential.</summary>
        public static (OSNode Node, PSCredential? Credential)? Find(string name)
        {
            lock (Gate)
            {
                foreach (var exact in new[] { true, false })
                {
                    foreach (var e in Entries)
                    {
                        if (exact ? string.Equals(e.Node.HostName, name, StringComparison.OrdinalIgnoreCase) : e.Node.Matches(name))
                        {
                            return e;
                        }
                    }
                }

                return null;
            }
        }

        /// <summary>The host names of the nodes with any of these roles.</summary>
        public static IReadOnlyList<string> WithRole(IEnumerable<string> roles)
        {
            var wanted = roles.Select(r => new WildcardPattern(r, WildcardOptions.IgnoreCase)).ToList();
            lock (Gate)
            {
                return Entries.Where(e => e.Node.Role.Any(r => wanted.Any(w => w.IsMatch(r)))).Select(e => e.Node.HostName).ToList();
            }
        }
    }
}
