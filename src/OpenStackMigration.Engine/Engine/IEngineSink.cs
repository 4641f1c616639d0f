namespace OpenStackMigration
{
    /// <summary>
    /// Where the engine reports what it is doing. The cmdlet layer forwards these to PowerShell's
    /// Verbose, Debug, Warning and Progress streams on the pipeline thread; tests collect them.
    /// Implementations must be safe to call from any thread.
    /// </summary>
    public interface IEngineSink
    {
        /// <summary>A step worth logging in a runbook.</summary>
        void Verbose(string message);

        /// <summary>Wire-level detail (requests and responses, secrets already redacted).</summary>
        void Debug(string message);

        /// <summary>Something the user should act on, though the operation goes on.</summary>
        void Warning(string message);

        /// <summary>Progress of a long operation; <see cref="ProgressReport.Completed"/> ends the activity.</summary>
        void Progress(ProgressReport report);
    }

    /// <summary>One progress update of one activity.</summary>
    public sealed class ProgressReport
    {
        /// <summary>Creates a report for the activity named by <paramref name="key"/>.</summary>
        public ProgressReport(string key, string activity, string status)
        {
            Key = key;
            Activity = activity;
            Status = status;
        }

        /// <summary>Identifies the activity across updates (for example a migration id); the cmdlet maps it to an activity id.</summary>
        public string Key { get; }

        /// <summary>The activity's title.</summary>
        public string Activity { get; }

        /// <summary>The current status line.</summary>
        public string Status { get; }

        /// <summary>Percent complete, or -1 when unknown.</summary>
        public int PercentComplete { get; set; } = -1;

        /// <summary>Estimated seconds left, or -1 when unknown.</summary>
        public int SecondsRemaining { get; set; } = -1;

        /// <summary>What is being done right now, if anything.</summary>
        public string? CurrentOperation { get; set; }

        /// <summary>The key of a parent activity, for nested progress.</summary>
        public string? ParentKey { get; set; }

        /// <summary>True when the activity is over.</summary>
        public bool Completed { get; set; }
    }

    /// <summary>A sink that drops everything; for callers that do not listen.</summary>
    public sealed class NullSink : IEngineSink
    {
        /// <summary>The shared instance.</summary>
        public static readonly NullSink Instance = new NullSink();

        private NullSink()
        {
        }

        /// <inheritdoc/>
        public void Verbose(string message)
        {
        }

        /// <inheritdoc/>
        public void Debug(string message)
        {
        }

        /// <inheritdoc/>
        public void Warning(string message)
        {
        }

        /// <inheritdoc/>
        public void Progress(ProgressReport report)
        {
        }
    }

    /// <summary>
    /// A sink for objects that outlive one call (an SSH session opened while planning and used again while
    /// applying): it forwards to whatever sink the current call has, and drops messages between calls.
    /// </summary>
    public sealed class RelaySink : IEngineSink
    {
        private volatile IEngineSink _target = NullSink.Instance;

        /// <summary>The sink messages go to now; null means none.</summary>
        public IEngineSink? Target
        {
            get => _target;
            set => _target = value ?? NullSink.Instance;
        }

        /// <inheritdoc/>
        public void Verbose(string message) => _target.Verbose(message);

        /// <inheritdoc/>
        public void Debug(string message) => _target.Debug(message);

        /// <inheritdoc/>
        public void Warning(string message) => _target.Warning(message);

        /// <inheritdoc/>
        public void Progress(ProgressReport report) => _target.Progress(report);
    }
}
