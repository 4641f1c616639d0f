using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Text;
using OpenStackMigration.Config;
using OpenStackMigration.Diagnosis;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;

namespace OpenStackMigration.Commands
{
    /// <summary>Audits the timeout chain a live migration crosses (HAProxy, Nova and Cinder RPC, Keystone tokens) on the given nodes, and says what to fix.</summary>
    /// <remarks>
    /// <para>Reads on every node, in parallel: haproxy's 'timeout server' and 'timeout client' of each proxy that fronts an OpenStack API
    /// (known by its servers' port: keystone 5000, nova 8774, placement 8778, cinder 8776, glance 9292, neutron 9696, or by its name);
    /// the rpc_response_timeout and long_rpc_timeout every running nova and cinder service really uses (its files in order, conf.d
    /// included, and OS_DEFAULT__* in its environment, as Get-OSRpcTimeout reads them); nova's [service_user] send_service_user_token;
    /// and Keystone's [token] expiration (default 3600).</para>
    /// <para>Rules (the Rule property): TimeoutChain.RpcTimeoutDisagrees and TimeoutChain.LongRpcTimeoutDisagrees (every node agrees, per service);
    /// TimeoutChain.LongRpcBelowRpc (long_rpc_timeout >= rpc_response_timeout); TimeoutChain.HAProxyBelowRpc ('timeout server' of the nova and
    /// cinder API proxies >= that API's rpc_response_timeout + 10 s); TimeoutChain.HAProxyBelowLongRpc (Info: nova's synchronous long calls);
    /// TimeoutChain.HAProxyClientBelowServer (Info); TimeoutChain.NoServiceUserToken and TimeoutChain.TokenExpiresBeforeLongRpc (the user's token
    /// must outlive the longest wait, unless nova sends a service token); TimeoutChain.InvalidValue. The Why property gives each reason.</para>
    /// <para>Only Warning and Error findings are written unless -IncludePassed. A finding's Seconds is what Set-OSMigrationTimeout needs to fix it
    /// (null when another command is the fix: see Fix); it is never below any rpc_response_timeout found, so the fix lowers nothing. Piped into
    /// Set-OSMigrationTimeout, ComputerName and Seconds bind by property name and the largest Seconds is applied to every node piped in.</para>
    /// </remarks>
    /// <example>
    /// <code>Test-OSMigrationTimeout -ComputerName ctl1,ctl2,cmp1 -UserName root -KeyFilePath ~/.ssh/id_ed25519</code>
    /// <para>Lists the problems of the whole chain on three nodes, each with its reason and fix.</para>
    /// </example>
    /// <example>
    /// <code>Test-OSMigrationTimeout -ComputerName ctl1,cmp1 -UserName root -KeyFilePath ~/.ssh/id_ed25519 | Set-OSMigrationTimeout -UserName root -KeyFilePath ~/.ssh/id_ed25519 -WhatIf</code>
    /// <para>Plans the fix: the largest Seconds of the findings, on every node that has one.</para>
    /// </example>
    /// <example>
    /// <code>Test-OSMigrationTimeout -IncludePassed | Format-List Rule, Severity, Setting, Value, Source, Why</code>
    /// <para>Shows every check on this machine, passed ones too, with its reason.</para>
    /// </example>
    [Cmdlet(VerbsDiagnostic.Test, "OSMigrationTimeout")]
    [OutputType(typeof(OSTimeoutFinding))]
    public sealed class TestOSMigrationTimeoutCommand : OSNodeCmdletBase
    {
        /// <summary>haproxy's configuration file (default /etc/haproxy/haproxy.cfg); a node without it is taken to have no haproxy.</summary>
        [Parameter]
        public string HAProxyPath { get; set; } = HAProxyEngine.DefaultPath;

        /// <summary>Keystone's configuration file (default /etc/keystone/keystone.conf); a node without it is taken to have no Keystone.</summary>
        [Parameter]
        public string KeystoneConfigPath { get; set; } = "/etc/keystone/keystone.conf";

        /// <summary>The files nova services read, in order, instead of those learnt from their processes.</summary>
        [Parameter]
        public string[]? NovaConfigFile { get; set; }

        /// <summary>The files cinder services read, in order, instead of those learnt from their processes.</summary>
        [Parameter]
        public string[]? CinderConfigFile { get; set; }

        /// <summary>Write the passed checks (OK) and the Info findings too.</summary>
        [Parameter]
        public SwitchParameter IncludePassed { get; set; }

        /// <inheritdoc/>
        protected override void Run(NodePool pool)
        {
            var sources = new TimeoutChainSources
            {
                HAProxyPath = HAProxyPath,
                KeystonePath = KeystoneConfigPath,
                NovaConfigFiles = NovaConfigFile,
                CinderConfigFiles = CinderConfigFile,
            };
            var failures = new List<NodeReadFailure>();
            var readings = RunEngine((sink, token) => TimeoutChainReader.ReadAsync(pool, sources, failures, sink, token));
            readings.FixArguments = FixArguments();
            readings.SetMigrationTimeoutArguments = MyInvocation.BoundParameters.ContainsKey(nameof(HAProxyPath)) ? " -HAProxyPath " + Quote(HAProxyPath) : string.Empty;
            foreach (var f in failures)
            {
                WriteFailure(f.Error, f.ComputerName);
            }

            var findings = TimeoutChainRules.Evaluate(readings);
            WriteVerbose($"{findings.Count} checks on {readings.Nodes.Count - failures.Count} node(s): {findings.Count(f => f.Severity == FindingSeverity.Error)} errors, "
                + $"{findings.Count(f => f.Severity == FindingSeverity.Warning)} warnings, {findings.Count(f => f.Severity == FindingSeverity.Info)} infos.");
            foreach (var f in findings.Where(f => IncludePassed || f.Severity >= FindingSeverity.Warning))
            {
                WriteObject(f);
            }
        }

        /// <summary>The SSH parameters the fix commands need to reach the same nodes (no credential or password ever).</summary>
        private string FixArguments()
        {
            var b = new StringBuilder();
            var bound = MyInvocation.BoundParameters;
            if (bound.ContainsKey(nameof(UserName))) b.Append(" -UserName ").Append(Quote(UserName!));
            if (bound.ContainsKey(nameof(KeyFilePath))) b.Append(" -KeyFilePath ").Append(Quote(KeyFilePath!));
            if (bound.ContainsKey(nameof(Port))) b.Append(" -Port ").Append(Port);
            if (bound.ContainsKey(nameof(KnownHostsPath))) b.Append(" -KnownHostsPath ").Append(Quote(KnownHostsPath!));
            if (bound.ContainsKey(nameof(Credential))) b.Append(" -Credential (Get-Credential)");
            if (Sudo || SudoPassword != null) b.Append(" -Sudo");
            return b.ToString();
        }

        private static string Quote(string s) => s.All(c => char.IsLetterOrDigit(c) || "/._-~:".Contains(c)) ? s : "'" + s.Replace("'", "''") + "'";
    }
}
