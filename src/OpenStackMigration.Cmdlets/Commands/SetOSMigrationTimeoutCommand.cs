using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using OpenStackMigration.Config;
using OpenStackMigration.Diagnosis;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;
using OpenStackMigration.Orchestration;

namespace OpenStackMigration.Commands
{
    /// <summary>Aligns the timeouts a live migration crosses: Nova's and Cinder's RPC timeouts and haproxy's 'timeout server', on every node.</summary>
    /// <remarks>
    /// <para>On each node, whichever of /etc/nova/nova.conf, /etc/cinder/cinder.conf and /etc/haproxy/haproxy.cfg exists is set:
    /// rpc_response_timeout = Seconds for nova and cinder; haproxy's 'timeout server' = Seconds + 10 in every defaults section and
    /// overriding proxy, so the API does not cut calls that the services still wait for (the API starts its RPC wait only after
    /// validating the token and reading the database, and answers after it: the 10 s margin is Test-OSMigrationTimeout's too), but
    /// only where it is lower (a proxy already allowed longer, such as a 6 h image upload, keeps its value); and
    /// Nova's long_rpc_timeout (what its live migration calls use since Rocky) is raised to Seconds only if it is lower (it is never
    /// lowered: its default is 1800).</para>
    /// <para>Findings of Test-OSMigrationTimeout pipe in: ComputerName and Seconds bind by property name. Several findings make one
    /// change: the largest Seconds among them, on every node piped in (each finding's Seconds is the least that fixes it, so the
    /// largest fixes them all, and nodes end up agreeing). Findings without Seconds (another command fixes them: see their Fix) are skipped.</para>
    /// <para>Every edit is safe as in Set-OSRpcTimeout and Set-OSHAProxyTimeout (atomic, backup, validated, minimal, idempotent).
    /// -Restart restarts nova and cinder services and reloads haproxy (after 'haproxy -c') where a file changed.</para>
    /// </remarks>
    /// <example>
    /// <code>Set-OSMigrationTimeout -Seconds 300 -WhatIf</code>
    /// <para>Shows every line that would change on this machine.</para>
    /// </example>
    /// <example>
    /// <code>Test-OSMigrationTimeout -ComputerName ctl1,cmp1 -UserName root -KeyFilePath ~/.ssh/id_ed25519 | Set-OSMigrationTimeout -UserName root -KeyFilePath ~/.ssh/id_ed25519 -WhatIf</code>
    /// <para>Plans the fix of the audit's findings: the largest Seconds they recommend, on the nodes they were found on.</para>
    /// </example>
    /// <example>
    /// <code>Get-OSComputeService | Set-OSMigrationTimeout -Seconds 300 -UserName root -KeyFilePath ~/.ssh/id_ed25519 -Restart -Confirm:$false</code>
    /// <para>Aligns the timeouts on every compute host in parallel and restarts the services whose files changed.</para>
    /// </example>
    [Cmdlet(VerbsCommon.Set, "OSMigrationTimeout", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(OSConfigChange))]
    public sealed class SetOSMigrationTimeoutCommand : OSNodeChangeCmdletBase
    {
        /// <summary>The timeout in seconds (haproxy gets 10 more). From the pipeline, the largest of the objects' Seconds; objects without Seconds are skipped.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [AllowNull]
        [ValidateSeconds]
        public int? Seconds { get; set; }

        private int? _largest;

        /// <summary>haproxy's configuration file (default /etc/haproxy/haproxy.cfg).</summary>
        [Parameter]
        public string HAProxyPath { get; set; } = HAProxyEngine.DefaultPath;

        /// <summary>Restart nova and cinder services and reload haproxy where a file changed.</summary>
        [Parameter]
        public SwitchParameter Restart { get; set; }

        /// <summary>How haproxy runs (default: detected).</summary>
        [Parameter]
        public ServiceManager HAProxyManager { get => _haproxyManager.Value; set => _haproxyManager.Value = value; }

        // An engine enum kept by reference: see Held<T>.
        private readonly Held<ServiceManager> _haproxyManager = new Held<ServiceManager>(ServiceManager.Auto);

        /// <summary>The haproxy master's pid file, for -HAProxyManager Signal.</summary>
        [Parameter]
        public string? HAProxyPidFile { get; set; }

        /// <summary>haproxy's service, pacemaker resource or container name (default haproxy; p_haproxy, haproxy-bundle and haproxy-clone are found too).</summary>
        [Parameter]
        public string HAProxyServiceName { get; set; } = "haproxy";

        /// <inheritdoc/>
        protected override void ProcessRecord()
        {
            base.ProcessRecord();
            if (Seconds is int seconds)
            {
                _largest = _largest is int known && known > seconds ? known : seconds;
            }
            else
            {
                WriteVerbose($"An input object for {string.Join(",", ComputerName ?? new[] { "localhost" })} carries no Seconds: Set-OSMigrationTimeout does not fix it (see its Fix).");
            }
        }

        /// <inheritdoc/>
        protected override void Run(NodePool pool)
        {
            if (!(_largest is int seconds))
            {
                WriteWarning("No Seconds given, and no object piped in carries one: nothing to change.");
                return;
            }

            WriteVerbose($"Seconds = {seconds} on {pool.Targets.Count} node(s); haproxy 'timeout server' = {seconds + TimeoutChainRules.HAProxyMarginSeconds} s.");
            string s = seconds.ToString(CultureInfo.InvariantCulture);
            // The three files of a node are planned at once (one SSH connection per node, several channels).
            var plans = RunEngine(async (sink, token) =>
            {
                var nova = OsloConfigEngine.PlanAsync(pool, "nova",
                    new[] { new OsloEdit(OsloServices.NovaRpcResponseTimeout, s), new OsloEdit(OsloServices.NovaLongRpcTimeout, s, raiseOnly: true) },
                    null, null, true, sink, token);
                var cinder = OsloConfigEngine.PlanAsync(pool, "cinder", new[] { new OsloEdit(OsloServices.CinderRpcResponseTimeout, s) }, null, null, true, sink, token);
                var lb = HAProxyEngine.PlanAsync(pool, HAProxyPath, (int)System.Math.Min(2147483, seconds + (long)TimeoutChainRules.HAProxyMarginSeconds), null, true, sink, token, raiseOnly: true);
                await System.Threading.Tasks.Task.WhenAll(nova, cinder, lb).ConfigureAwait(false);
                return nova.Result.Concat(cinder.Result).Concat(lb.Result).ToList();
            });
            var haproxy = RestartRequests.ForHAProxy(HAProxyServiceName, HAProxyManager, HAProxyPidFile, HAProxyPath);
            ApplyPlans(pool, plans, Restart ? plan => plan.Service == "haproxy" ? haproxy(plan) : RestartRequests.ForOslo(plan) : (System.Func<FilePlan, RestartRequest?>?)null);
        }
    }
}
