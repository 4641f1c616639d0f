using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

namespace OpenStackMigration.Text
{
    /// <summary>PowerShell-style wildcards (* ? [abc]) without PowerShell, case-insensitive.</summary>
    public static class Wildcard
    {
        /// <summary>True when the text has wildcard characters.</summary>
        public static bool HasWildcards(string pattern) => pattern.IndexOfAny(new[] { '*', '?', '[' }) >= 0;

        /// <summary>True when no patterns are given or any matches.</summary>
        public static bool MatchesAny(IReadOnlyCollection<string>? patterns, string value) => patterns == null || patterns.Count == 0 || patterns.Any(p => Matches(p, value));

        /// <summary>Matches one pattern.</summary>
        public static bool Matches(string pattern, string value) => Regex.IsMatch(value, "^" + ToRegex(pattern) + "$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        /// <summary>A regular expression Nova's name filter (a database REGEXP) can use: the pattern's literal prefix, anchored.</summary>
        public static string ToNovaRegex(string pattern)
        {
            var literal = new string(pattern.TakeWhile(c => c != '*' && c != '?' && c != '[').ToArray());
            var escaped = string.Concat(literal.Select(c => char.IsLetterOrDigit(c) || c == '_' || c == '-' || c == ' ' ? c.ToString() : "[" + c + "]"));
            return "^" + escaped;
        }

        private static string ToRegex(string pattern)
        {
            var sb = new System.Text.StringBuilder();
            for (var i = 0; i < pattern.Length; i++)
            {
                var c = pattern[i];
                if (c == '*')
                {
                    sb.Append(".*");
                }
                else if (c == '?')
                {
                    sb.Append('.');
                }
                else if (c == '[')
                {
                    var end = pattern.IndexOf(']', i + 1);
                    if (end > i)
                    {
                        sb.Append('[').Append(pattern.Substring(i + 1, end - i - 1).Replace("\\", "\\\\")).Append(']');
                        i = end;
                    }
                    else
                    {
                        sb.Append(Regex.Escape("["));
                    }
                }
                else
                {
                    sb.Append(Regex.Escape(c.ToString()));
                }
            }

            return sb.ToString();
        }
    }
}
