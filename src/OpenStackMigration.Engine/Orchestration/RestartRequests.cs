using OpenStackMigration.Config;
using OpenStackMigration.Nodes;

namespace OpenStackMigration.Orchestration
{
    /// <summary>Which services to restart after a file changed.</summary>
    public static class RestartRequests
    {
        /// <summary>The project's daemons (nova's for nova.conf, cinder's for cinder.conf); those not running on the node are skipped.</summary>
        public static RestartRequest? ForOslo(FilePlan plan) =>
            plan.Service == null || !OsloServices.Daemons.TryGetValue(plan.Service, out var daemons) ? null : new RestartRequest { Services = daemons, SkipMissing = true };

        /// <summary>Reload haproxy (a restart under pacemaker and containers) after 'haproxy -c' passes on the whole file.</summary>
        public static System.Func<FilePlan, RestartRequest?> ForHAProxy(string name, ServiceManager manager, string? pidFile, string path) =>
            plan => new RestartRequest
            {
                Services = new[] { name },
                Manager = manager,
                Reload = true,
                PidFile = pidFile,
                HAProxyConfigPath = path,
            };
    }
}
