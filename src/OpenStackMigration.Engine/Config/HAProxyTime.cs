using System;
using System.Globalization;

namespace OpenStackMigration.Config
{
    /// <summary>haproxy's time format: a number and an optional unit (us, ms, s, m, h, d); no unit means milliseconds.</summary>
    public static class HAProxyTime
    {
        /// <summary>The largest time haproxy accepts, in milliseconds.</summary>
        public const long MaxMilliseconds = int.MaxValue;

        /// <summary>
        /// Parses a time as haproxy 2.6 does: the leading number and unit count; units are lower-case only.
        /// Returns false when haproxy would reject it. <paramref name="trailing"/> is text haproxy ignores with a
        /// warning (as in <c>1m30s</c>), or null.
        /// </summary>
        public static bool TryParse(string text, out long milliseconds, out bool hasUnit, out string? trailing)
        {
            milliseconds = 0;
            hasUnit = false;
            trailing = null;
            int i = 0;
            while (i < text.Length && text[i] >= '0' && text[i] <= '9') i++;
            if (i == 0 || !decimal.TryParse(text.Substring(0, i), NumberStyles.None, CultureInfo.InvariantCulture, out decimal n))
            {
                return false;
            }

            string rest = text.Substring(i);
            decimal factor = 1m;
            string unit = string.Empty;
            foreach (var (u, f) in new[] { ("us", 0.001m), ("ms", 1m), ("s", 1000m), ("m", 60000m), ("h", 3600000m), ("d", 86400000m) })
            {
                if (rest.StartsWith(u, StringComparison.Ordinal))
                {
                    unit = u;
                    factor = f;
                    break;
                }
            }

            rest = rest.Substring(unit.Length);
            if (rest.Length > 0 && !(rest[0] >= '0' && rest[0] <= '9'))
            {
                return false;
            }

            decimal ms = Math.Ceiling(n * factor);
            if (ms > MaxMilliseconds)
            {
                return false;
            }

            milliseconds = (long)ms;
            hasUnit = unit.Length > 0;
            trailing = rest.Length > 0 ? rest : null;
            return true;
        }

        /// <summary>Writes seconds with an explicit unit, as we always do.</summary>
        public static string FromSeconds(int seconds)
        {
            if (seconds < 1 || seconds * 1000L > MaxMilliseconds)
            {
                throw new ArgumentOutOfRangeException(nameof(seconds), seconds, $"haproxy accepts 1 to {MaxMilliseconds / 1000} seconds.");
            }

            return seconds.ToString(CultureInfo.InvariantCulture) + "s";
        }
    }
}
