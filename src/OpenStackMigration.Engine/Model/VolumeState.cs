using System;
using System.Collections.Generic;

namespace OpenStackMigration.Model
{
    /// <summary>A Cinder volume as a migration check needs it: status and where it is attached.</summary>
    public sealed class VolumeState
    {
        /// <summary>The volume's id.</summary>
        public string Id { get; set; } = string.Empty;

        /// <summary>The volume's name.</summary>
        public string? Name { get; set; }

        /// <summary>available, in-use, attaching, detaching, error...</summary>
        public string Status { get; set; } = string.Empty;

        /// <summary>Size in GB.</summary>
        public int SizeGB { get; set; }

        /// <summary>True when the volume can boot an instance.</summary>
        public bool Bootable { get; set; }

        /// <summary>Where it is attached.</summary>
        public IReadOnlyList<VolumeAttachmentInfo> Attachments { get; set; } = Array.Empty<VolumeAttachmentInfo>();

        /// <inheritdoc/>
        public override string ToString() => $"{Id} {Status}";
    }

    /// <summary>One attachment of a volume.</summary>
    public sealed class VolumeAttachmentInfo
    {
        /// <summary>The attachment's id.</summary>
        public string AttachmentId { get; set; } = string.Empty;

        /// <summary>The instance it is attached to.</summary>
        public string? ServerId { get; set; }

        /// <summary>The compute host the attachment was made for.</summary>
        public string? HostName { get; set; }

        /// <summary>The device name in the instance.</summary>
        public string? Device { get; set; }

        /// <inheritdoc/>
        public override string ToString() => $"{ServerId}@{HostName} ({Device})";
    }

    /// <summary>Whether a volume is still attached, and attached on the right host, after a migration.</summary>
    public sealed class VolumeAttachmentCheck
    {
        /// <summary>The volume.</summary>
        public string VolumeId { get; set; } = string.Empty;

        /// <summary>Its status after the move (in-use expected).</summary>
        public string? Status { get; set; }

        /// <summary>The hosts its attachments to the instance name.</summary>
        public IReadOnlyList<string> AttachedHosts { get; set; } = Array.Empty<string>();

        /// <summary>True when in-use and attached only on the expected host.</summary>
        public bool Passed { get; set; }

        /// <summary>What was found, in words.</summary>
        public string Reason { get; set; } = string.Empty;

        /// <inheritdoc/>
        public override string ToString() => $"{VolumeId}: {(Passed ? "ok" : "FAILED")} {Reason}";
    }
}
