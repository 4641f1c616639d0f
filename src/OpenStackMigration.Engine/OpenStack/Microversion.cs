using System;
using System.Globalization;

namespace OpenStackMigration.OpenStack
{
    /// <summary>An API microversion such as 2.79, compared numerically (2.10 is newer than 2.9).</summary>
    public sealed class Microversion : IComparable<Microversion>, IEquatable<Microversion>
    {
        /// <summary>Creates a version.</summary>
        public Microversion(int major, int minor)
        {
            Major = major;
            Minor = minor;
        }

        /// <summary>The major part.</summary>
        public int Major { get; }

        /// <summary>The minor part.</summary>
        public int Minor { get; }

        /// <summary>Parses "2.79"; null for null, empty or malformed text.</summary>
        public static Microversion? Parse(string? text)
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                return null;
            }

            var parts = text!.Trim().Split('.');
            if (parts.Length == 2
                && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major)
                && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minor))
            {
                return new Microversion(major, minor);
            }

            return null;
        }

        /// <summary>The older of two versions.</summary>
        public static Microversion Min(Microversion a, Microversion b) => a <= b ? a : b;

        /// <summary>Compares.</summary>
        public static bool operator <(Microversion a, Microversion b) => a.CompareTo(b) < 0;

        /// <summary>Compares.</summary>
        public static bool operator >(Microversion a, Microversion b) => a.CompareTo(b) > 0;

        /// <summary>Compares.</summary>
        public static bool operator <=(Microversion a, Microversion b) => a.CompareTo(b) <= 0;

        /// <summary>Compares.</summary>
        public static bool operator >=(Microversion a, Microversion b) => a.CompareTo(b) >= 0;

        /// <inheritdoc/>
        public int CompareTo(Microversion? other) => other == null ? 1 : Major != other.Major ? Major.CompareTo(other.Major) : Minor.CompareTo(other.Minor);

        /// <inheritdoc/>
        public bool Equals(Microversion? other) => other != null && other.Major == Major && other.Minor == Minor;

        /// <inheritdoc/>
        public override bool Equals(object? obj) => Equals(obj as Microversion);

        /// <inheritdoc/>
        public override int GetHashCode() => (Major * 1000) + Minor;

        /// <inheritdoc/>
        public override string ToString() => Major.ToString(CultureInfo.InvariantCulture) + "." + Minor.ToString(CultureInfo.InvariantCulture);
    }
}
