using System;

namespace OpenStackMigration.Model
{
    /// <summary>The value one service on one node sees for one option, and where it comes from (Get-OSRpcTimeout, Get-OSDebugLogging).</summary>
    public sealed class OSConfigSetting
    {
        /// <summary>The node.</summary>
        public string ComputerName { get; set; } = string.Empty;

        /// <summary>The service program (nova-compute, cinder-volume...) or the project when no process was found.</summary>
        public string Service { get; set; } = string.Empty;

        /// <summary>The option, such as rpc_response_timeout.</summary>
        public string Setting { get; set; } = string.Empty;

        /// <summary>The effective value as written (null when unset: the default applies).</summary>
        public string? Value { get; set; }

        /// <summary>The value the service uses, as a number of seconds for timeouts (null: none / invalid).</summary>
        public long? Seconds { get; set; }

        /// <summary>Where the value comes from: a file path, the environment variable's name, or "default".</summary>
        public string Source { get; set; } = string.Empty;

        /// <summary>The file that wins (null when the environment or the default wins).</summary>
        public string? Path { get; set; }

        /// <summary>The line of the winning assignment in <see cref="Path"/>.</summary>
        public int? LineNumber { get; set; }

        /// <summary>Every assignment found, in the order the service reads them ("path:line = value").</summary>
        public string[] Occurrences { get; set; } = Array.Empty<string>();

        /// <summary>The files the service reads, in order.</summary>
        public string[] ConfigFiles { get; set; } = Array.Empty<string>();

        /// <summary>False when the service would refuse the value (for example "120s" or "60.0" for an integer).</summary>
        public bool Valid { get; set; } = true;

        /// <summary>What this option does for live migration, so the user knows which one matters.</summary>
        public string Role { get; set; } = string.Empty;

        /// <summary>The process the files were learnt from (null when none runs and defaults were assumed).</summary>
        public int? ProcessId { get; set; }

        /// <summary>For an on/off option such as debug: what the service uses (its default when nothing sets it); null for other options or a value the service would refuse.</summary>
        public bool? Enabled { get; set; }

        /// <summary>Why the value could not be found, or null.</summary>
        public string? Error { get; set; }

        /// <summary>The stable error id when the node could not be read at all (OSSshAuthenticationFailed, OSSudoPasswordRejected...), or null.</summary>
        public string? ErrorId { get; set; }

        /// <summary>The kind of failure behind <see cref="ErrorId"/> (decided where the error was raised), or null.</summary>
        public FailureKind? ErrorKind { get; set; }
    }

    /// <summary>What a Set-OS* cmdlet did to one setting in one file.</summary>
    public enum ConfigAction
    {
        /// <summary>Nothing to do: the file already says so.</summary>
        Unchanged,

        /// <summary>Would change: -WhatIf, or declined at the confirmation.</summary>
        WouldChange,

        /// <summary>The line that wins was changed.</summary>
        Updated,

        /// <summary>A line was added.</summary>
        Inserted,

        /// <summary>Nothing was written; see Error.</summary>
        Failed,
    }

    /// <summary>One setting in one file on one node, before and after a change (Set-OS* cmdlets).</summary>
    public sealed class OSConfigChange
    {
        /// <summary>The node.</summary>
        public string ComputerName { get; set; } = string.Empty;

        /// <summary>The file as named (a symlink stays a symlink; its target is edited).</summary>
        public string Path { get; set; } = string.Empty;

        /// <summary>The section: DEFAULT, or a haproxy section such as "backend nova_api".</summary>
        public string Section { get; set; } = string.Empty;

        /// <summary>The option, such as rpc_response_timeout or "timeout server".</summary>
        public string Setting { get; set; } = string.Empty;

        /// <summary>The value before (null when the file did not set it).</summary>
        public string? OldValue { get; set; }

        /// <summary>The value asked for.</summary>
        public string? NewValue { get; set; }

        /// <summary>The line changed or inserted (1-based), if any.</summary>
        public int? LineNumber { get; set; }

        /// <summary>What happened to the setting: Updated, Inserted, Unchanged, WouldChange (-WhatIf / declined) or Failed.</summary>
        public ConfigAction Action { get; set; }

        /// <summary>The copy of the file made before the change.</summary>
        public string? BackupPath { get; set; }

        /// <summary>The changed lines as "line N: old -> new".</summary>
        public string[] Diff { get; set; } = Array.Empty<string>();

        /// <summary>The value the service will see after the change, and where it comes from.</summary>
        public string? EffectiveValue { get; set; }

        /// <summary>The winning file or environment variable after the change.</summary>
        public string? EffectiveSource { get; set; }

        /// <summary>True when the service was restarted or reloaded after the change.</summary>
        public bool Restarted { get; set; }

        /// <summary>What was restarted or reloaded, if anything.</summary>
        public string? RestartedServices { get; set; }

        /// <summary>A remark worth reading (which option matters, shadowed lines...).</summary>
        public string? Note { get; set; }

        /// <summary>The error, when this change failed.</summary>
        public string? Error { get; set; }

        /// <summary>The stable error id, when this change failed.</summary>
        public string? ErrorId { get; set; }

        /// <summary>The kind of failure behind <see cref="ErrorId"/> (decided where the error was raised), or null.</summary>
        public FailureKind? ErrorKind { get; set; }
    }

    /// <summary>The haproxy <c>timeout server</c> of one defaults section or proxy (Get-OSHAProxyTimeout).</summary>
    public sealed class OSHAProxyTimeout
    {
        /// <summary>The node.</summary>
        public string ComputerName { get; set; } = string.Empty;

        /// <summary>The haproxy configuration file.</summary>
        public string Path { get; set; } = string.Empty;

        /// <summary>defaults, listen, backend or frontend.</summary>
        public string SectionType { get; set; } = string.Empty;

        /// <summary>The section's name (empty for an anonymous defaults section).</summary>
        public string Proxy { get; set; } = string.Empty;

        /// <summary>The value as written, or null when nothing sets it (haproxy then waits forever and warns).</summary>
        public string? Value { get; set; }

        /// <summary>The value in seconds (haproxy reads a bare number as milliseconds).</summary>
        public double? Seconds { get; set; }

        /// <summary>The value in milliseconds.</summary>
        public long? Milliseconds { get; set; }

        /// <summary>True when the value comes from a defaults section.</summary>
        public bool Inherited { get; set; }

        /// <summary>The section that gives the value, such as "defaults" or "backend nova_api".</summary>
        public string? DefinedIn { get; set; }

        /// <summary>The line of the value.</summary>
        public int? LineNumber { get; set; }

        /// <summary>A warning about the value (no unit, ignored in a frontend...), or null.</summary>
        public string? Note { get; set; }

        /// <summary>The error, when the file could not be read.</summary>
        public string? Error { get; set; }
    }

    /// <summary>One service restarted or reloaded on one node (Restart-OSService, and -Restart of the Set-OS* cmdlets).</summary>
    public sealed class OSServiceRestart
    {
        /// <summary>The node.</summary>
        public string ComputerName { get; set; } = string.Empty;

        /// <summary>The service, unit, resource or container name, as found on the node.</summary>
        public string Service { get; set; } = string.Empty;

        /// <summary>How it is run: Systemd, Crm, Pcs, Docker, Podman or Signal.</summary>
        public string Manager { get; set; } = string.Empty;

        /// <summary>Restart or Reload.</summary>
        public string Action { get; set; } = string.Empty;

        /// <summary>The command that was (or would be) run.</summary>
        public string Command { get; set; } = string.Empty;

        /// <summary>The place of this node in the rolling order (1 = first); restarts of later nodes wait for earlier ones to be healthy.</summary>
        public int Order { get; set; }

        /// <summary>True when the command ran and the service was found healthy afterwards.</summary>
        public bool Restarted { get; set; }

        /// <summary>The service's main process before the restart, when the manager tells it.</summary>
        public int? OldProcessId { get; set; }

        /// <summary>The service's main process after the restart, when the manager tells it.</summary>
        public int? ProcessId { get; set; }

        /// <summary>What the manager reported last: "active (running)", "Started", "running", "exited 1"...</summary>
        public string? State { get; set; }

        /// <summary>For nova-compute: the compute host name whose report to Nova was awaited, if checked.</summary>
        public string? ComputeHost { get; set; }

        /// <summary>For nova-compute: true when Nova received a report from it after the restart; null when not checked (not connected, or another service).</summary>
        public bool? ReportedToNova { get; set; }

        /// <summary>How long the restart and its checks took.</summary>
        public TimeSpan Duration { get; set; }

        /// <summary>The error, when it failed; it says what to do next.</summary>
        public string? Error { get; set; }

        /// <summary>The stable error id, when it failed.</summary>
        public string? ErrorId { get; set; }

        /// <summary>The kind of failure behind <see cref="ErrorId"/>, or null.</summary>
        public FailureKind? ErrorKind { get; set; }
    }

    /// <summary>One log line of a nova or cinder service that mentions the id searched for (Find-OSLogEntry).</summary>
    public sealed class OSLogEntry
    {
        /// <summary>The node.</summary>
        public string ComputerName { get; set; } = string.Empty;

        /// <summary>The log file.</summary>
        public string Path { get; set; } = string.Empty;

        /// <summary>The line number in the file.</summary>
        public int LineNumber { get; set; }

        /// <summary>The time stamp at the start of the line, when oslo.log wrote one.</summary>
        public DateTime? Timestamp { get; set; }

        /// <summary>The process id in the line.</summary>
        public int? ProcessId { get; set; }

        /// <summary>DEBUG, INFO, WARNING, ERROR or CRITICAL.</summary>
        public string? Level { get; set; }

        /// <summary>The Python logger, such as nova.compute.manager.</summary>
        public string? Logger { get; set; }

        /// <summary>The request id (req-...) in the line, if any.</summary>
        public string? RequestId { get; set; }

        /// <summary>The instance uuid in the line ("[instance: ...]"), if any.</summary>
        public string? InstanceId { get; set; }

        /// <summary>The message after the context.</summary>
        public string Message { get; set; } = string.Empty;

        /// <summary>The whole line.</summary>
        public string Line { get; set; } = string.Empty;
    }
}
