using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using OpenStackMigration.Model;

namespace OpenStackMigration.OpenStack
{
    /// <summary>
    /// The Cinder calls a volume-backed migration needs: after the move, every volume of the
    /// instance must still be in-use and attached on the destination host (Cinder replaces the
    /// source's attachment with one for the destination; volume API 3.27+).
    /// </summary>
    public sealed class CinderClient
    {
        private static readonly Microversion AttachmentsVersion = new Microversion(3, 27);
        private readonly CloudSession _session;

        /// <summary>Creates a client over a session.</summary>
        public CinderClient(CloudSession session)
        {
            _session = session;
        }

        /// <summary>True when the catalog offers a block-storage v3 endpoint.</summary>
        public bool IsAvailable => _session.Catalog.Any(e => e.ServiceType == "volumev3" || e.ServiceType == "block-storage");

        /// <summary>One volume with its attachments.</summary>
        public async Task<VolumeState> GetVolumeAsync(string volumeId, IEngineSink sink, CancellationToken cancellationToken)
        {
            var response = await _session.SendAsync(
                new ServiceRequest("GET", "/volumes/" + Uri.EscapeDataString(volumeId), "Cinder")
                {
                    ServiceTypes = new[] { "volumev3", "block-storage" },
                    Microversion = AttachmentsVersion,
                    MicroversionService = "volume",
                    AcceptStatuses = new[] { 404 },
                },
                sink,
                cancellationToken).ConfigureAwait(false);
            if (response.Status == 404)
            {
                throw new OpenStackMigrationException("OSVolumeNotFound", FailureKind.NotFound, $"Cinder has no volume '{volumeId}'.") { Target = volumeId };
            }

            return ParseVolume(response.Object["volume"] ?? new JObject());
        }

        /// <summary>Checks each volume: in-use, and attached to the instance on <paramref name="expectedHost"/> only.</summary>
        public async Task<IReadOnlyList<VolumeAttachmentCheck>> VerifyAttachmentsAsync(string instanceId, IEnumerable<string> volumeIds, string expectedHost, IEngineSink sink, CancellationToken cancellationToken)
        {
            var checks = new List<VolumeAttachmentCheck>();
            foreach (var id in volumeIds)
            {
                var volume = await GetVolumeAsync(id, sink, cancellationToken).ConfigureAwait(false);
                checks.Add(Verify(volume, instanceId, expectedHost));
            }

            return checks;
        }

        internal static VolumeAttachmentCheck Verify(VolumeState volume, string instanceId, string expectedHost)
        {
            var mine = volume.Attachments.Where(a => a.ServerId == instanceId).ToList();
            var hosts = mine.Select(a => a.HostName ?? "(none)").ToList();
            var check = new VolumeAttachmentCheck { VolumeId = volume.Id, Status = volume.Status, AttachedHosts = hosts };
            if (volume.Status != "in-use")
            {
                check.Reason = $"volume is '{volume.Status}', not in-use";
            }
            else if (mine.Count == 0)
            {
                check.Reason = "volume has no attachment to the instance";
            }
            else if (mine.Any(a => !string.Equals(a.HostName, expectedHost, StringComparison.Ordinal)))
            {
                check.Reason = $"attached on {string.Join(", ", hosts)}, expected only {expectedHost}";
            }
            else
            {
                check.Passed = true;
                check.Reason = $"in-use, attached on {expectedHost}";
            }

            return check;
        }

        internal static VolumeState ParseVolume(JToken v) => new VolumeState
        {
            Id = Json.Str(v, "id") ?? string.Empty,
            Name = Json.Str(v, "name"),
            Status = Json.Str(v, "status") ?? string.Empty,
            SizeGB = Json.Int(v, "size"),
            Bootable = string.Equals(Json.Str(v, "bootable"), "true", StringComparison.OrdinalIgnoreCase),
            Attachments = (v["attachments"] as JArray ?? new JArray()).Select(a => new VolumeAttachmentInfo
            {
                AttachmentId = Json.Str(a, "attachment_id") ?? Json.Str(a, "id") ?? string.Empty,
                ServerId = Json.Str(a, "server_id"),
                HostName = Json.Str(a, "host_name"),
                Device = Json.Str(a, "device"),
            }).ToList(),
        };
    }
}
