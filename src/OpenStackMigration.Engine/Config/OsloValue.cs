using System;
using System.Globalization;

namespace OpenStackMigration.Config
{
    /// <summary>How oslo.config's types read a string, so we can say whether a service will start.</summary>
    public static class OsloValue
    {
        /// <summary>
        /// Reads an IntOpt value as oslo.config 9.0 does (Python's <c>int()</c>): optional sign, digits, single
        /// underscores between digits, surrounding spaces allowed. <c>60.0</c> and <c>120s</c> are rejected.
        /// An empty value is valid and means "not set" (null): for rpc_response_timeout that is no timeout at all.
        /// </summary>
        public static bool TryParseInt(string value, out long? result)
        {
            result = null;
            string s = value.Trim();
            if (s.Length == 0)
            {
                return true;
            }

            int i = 0;
            bool negative = false;
            if (s[0] == '+' || s[0] == '-')
            {
                negative = s[0] == '-';
                i = 1;
            }

            if (i >= s.Length || !IsDigit(s[i]) || !IsDigit(s[s.Length - 1]))
            {
                return false;
            }

            var digits = new System.Text.StringBuilder();
            for (; i < s.Length; i++)
            {
                if (IsDigit(s[i]))
                {
                    digits.Append(s[i]);
                }
                else if (s[i] != '_' || !IsDigit(s[i - 1]) || !IsDigit(s[i + 1]))
                {
                    return false;
                }
            }

            if (!long.TryParse(digits.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out long n))
            {
                return false;
            }

            result = negative ? -n : n;
            return true;
        }

        /// <summary>Reads a BoolOpt value as oslo.config does (1/t/true/on/y/yes, 0/f/false/off/n/no, any case).</summary>
        public static bool TryParseBool(string value, out bool result)
        {
            switch (value.Trim().ToLowerInvariant())
            {
                case "1":
                case "t":
                case "true":
                case "on":
                case "y":
                case "yes":
                    result = true;
                    return true;
                case "0":
                case "f":
                case "false":
                case "off":
                case "n":
                case "no":
                    result = false;
                    return true;
                default:
                    result = false;
                    return false;
            }
        }

        private static bool IsDigit(char c) => c >= '0' && c <= '9';
    }
}
