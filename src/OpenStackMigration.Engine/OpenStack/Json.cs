using System;
using System.Globalization;
using Newtonsoft.Json.Linq;

namespace OpenStackMigration.OpenStack
{
    /// <summary>Tolerant readers for service JSON: absent, null and "" read as null.</summary>
    internal static class Json
    {
        public static string? Str(JToken? token, string name)
        {
            var value = token?[name];
            if (value == null || value.Type == JTokenType.Null)
            {
                return null;
            }

            var text = value.Type == JTokenType.String ? (string?)value : value.ToString(Newtonsoft.Json.Formatting.None);
            return string.IsNullOrEmpty(text) ? null : text;
        }

        public static long? Long(JToken? token, string name)
        {
            var value = token?[name];
            if (value == null || value.Type == JTokenType.Null)
            {
                return null;
            }

            if (value.Type == JTokenType.Integer || value.Type == JTokenType.Float)
            {
                return (long)(double)value;
            }

            return ParseLong((string?)value);
        }

        /// <summary>A whole number sent as text ("512"); null when it is not one.</summary>
        public static long? ParseLong(string? text) =>
            long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : (long?)null;

        public static int Int(JToken? token, string name) => (int)(Long(token, name) ?? 0);

        public static double? Double(JToken? token, string name)
        {
            var value = token?[name];
            return value == null || value.Type == JTokenType.Null ? (double?)null : (double)value;
        }

        public static bool Bool(JToken? token, string name)
        {
            var value = token?[name];
            return value != null && value.Type == JTokenType.Boolean && (bool)value;
        }

        public static DateTimeOffset? Time(JToken? token, string name)
        {
            var value = token?[name];
            if (value == null || value.Type == JTokenType.Null)
            {
                return null;
            }

            if (value.Type == JTokenType.Date)
            {
                return AsUtc((DateTime)value);
            }

            return ParseTime((string?)value);
        }

        /// <summary>A time read by a JSON parser that parses dates: one without an offset means UTC.</summary>
        public static DateTimeOffset AsUtc(DateTime time) =>
            new DateTimeOffset(DateTime.SpecifyKind(time, time.Kind == DateTimeKind.Unspecified ? DateTimeKind.Utc : time.Kind));

        /// <summary>A time sent as text; one without an offset (as Nova sends them) means UTC. Null when it is not one.</summary>
        public static DateTimeOffset? ParseTime(string? text) =>
            DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : (DateTimeOffset?)null;
    }
}
