using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Nodes;
using OpenStackMigration.Tests.Support;
using Xunit;

namespace OpenStackMigration.Tests.Orchestration
{
    /// <summary>The real resolver script in a real sh, with stand-ins for docker, podman, crm, crm_resource and systemctl first in PATH.</summary>
    public class ResolveTests
    {
        private static TempDir FakeManagers()
        {
            var dir = new TempDir();
            dir.Write("haproxy.pid", "777\n");
            // docker inspect --type container -f FMT -- NAME: only nova_compute exists.
            dir.Write("bin/docker", "#!/bin/sh\n[ \"$1\" = inspect ] && [ \"$7\" = nova_compute ] && { echo 4242; exit 0; }\nexit 1\n");
            dir.Write("bin/podman", "#!/bin/sh\nexit 1\n");
            dir.Write("bin/crm", "#!/bin/sh\nexit 0\n");
            dir.Write("bin/crm_resource", "#!/bin/sh\ncase \"$*\" in\n" +
                "  '--resource p_haproxy --locate') echo 'resource p_haproxy is running on: ctl1'; exit 0 ;;\n" +
                $"  '--resource p_haproxy --get-parameter pidfile') echo '{dir.Path}/haproxy.pid'; exit 0 ;;\n" +
                "esac\necho \"Resource not found\" >&2; exit 105\n");
            dir.Write("bin/systemctl", "#!/bin/sh\nexit 1\n");
            Requires.Sh($"chmod +x '{dir.Path}'/bin/*");
            return dir;
        }

        private sealed class PathNode : INodeSession
        {
            private readonly LocalNodeSession _local = new LocalNodeSession(false);
            private readonly string _bin;

            public PathNode(string bin) => _bin = bin;

            public string ComputerName => "ctl1";

            public Task<NodeCommandResult> RunScriptAsync(string script, CancellationToken cancellationToken) =>
                _local.RunScriptAsync($"PATH='{_bin}':$PATH; export PATH\n" + script, cancellationToken);

            public void Dispose() => _local.Dispose();
        }

        [Fact]
        public async Task KollaContainersPacemakerResourcesAndMissingServicesAreTold()
        {
            using var dir = FakeManagers();
            using var node = new PathNode(dir.Path + "/bin");
            var found = await ServiceControl.ResolveAsync(node, new[] { "nova-compute", "haproxy", "nova-conductor" }, ServiceManager.Auto, null, CancellationToken.None);

            var compute = found[0].Service!;
            Assert.Equal((ServiceManager.Docker, "nova_compute", (int?)4242), (compute.Manager, compute.Name, compute.ProcessId));
            var haproxy = found[1].Service!;
            Assert.Equal((ServiceManager.Crm, "p_haproxy", (int?)777), (haproxy.Manager, haproxy.Name, haproxy.ProcessId));
            Assert.Null(found[2].Service);
            Assert.Equal("OSServiceNotFound", found[2].Error!.ErrorId);
            Assert.Contains("ctl1: 'nova-conductor' is neither a container", found[2].Error!.Message);
        }

        [Fact]
        public async Task AManagerAskedForOnlyLooksThere()
        {
            using var dir = FakeManagers();
            using var node = new PathNode(dir.Path + "/bin");
            var found = await ServiceControl.ResolveAsync(node, new[] { "nova-compute", "haproxy" }, ServiceManager.Crm, null, CancellationToken.None);

            Assert.Equal("OSServiceNotFound", found[0].Error!.ErrorId);
            Assert.Contains("not known to Crm", found[0].Error!.Message);
            Assert.Equal(ServiceManager.Crm, found[1].Service!.Manager);
            Assert.Equal("crm -w resource restart 'p_haproxy'", ServiceControl.Command(ServiceManager.Crm, found[1].Service!.Name, false, null, "USR2"));
        }
    }
}
