using System;
using System.Collections.Generic;
using System.Text;

namespace OpenStackMigration.Config
{
    /// <summary>One physical line of a configuration file: its text and the line ending it had.</summary>
    public sealed class ConfigLine
    {
        /// <summary>Creates a line.</summary>
        public ConfigLine(string text, string newline)
        {
            Text = text;
            Newline = newline;
        }

        /// <summary>The line without its line ending.</summary>
        public string Text { get; set; }

        /// <summary>"\n", "\r\n", "\r" or "" for a last line without an ending.</summary>
        public string Newline { get; set; }
    }

    /// <summary>Splits file content into lines and back without losing a byte.</summary>
    public static class ConfigText
    {
        private static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(false, true);

        /// <summary>
        /// Decodes file bytes as the services do (UTF-8). A byte order mark or invalid UTF-8 is refused,
        /// because oslo.config cannot read such a file and editing it would hide the problem.
        /// </summary>
        public static string Decode(byte[] bytes, string path)
        {
            if (bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF)
            {
                throw new OpenStackMigrationException(
                    "OSConfigByteOrderMark",
                    FailureKind.Configuration,
                    $"'{path}' starts with a UTF-8 byte order mark, which oslo.config and haproxy cannot read; the file was left untouched.")
                {
                    Target = path,
                    RecommendedAction = "Remove the first three bytes (EF BB BF) of the file, then run the command again.",
                };
            }

            try
            {
                return StrictUtf8.GetString(bytes);
            }
            catch (DecoderFallbackException ex)
            {
                throw new OpenStackMigrationException(
                    "OSConfigNotUtf8",
                    FailureKind.Configuration,
                    $"'{path}' is not valid UTF-8 (byte {ex.Index}); the file was left untouched.",
                    ex)
                { Target = path };
            }
        }

        /// <summary>Encodes text back to bytes (UTF-8, no byte order mark).</summary>
        public static byte[] Encode(string text) => new UTF8Encoding(false).GetBytes(text);

        /// <summary>Splits text into lines, keeping each line's own ending.</summary>
        public static List<ConfigLine> Split(string text)
        {
            var lines = new List<ConfigLine>();
            int start = 0;
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                if (c == '\n' || c == '\r')
                {
                    string nl = c == '\r' && i + 1 < text.Length && text[i + 1] == '\n' ? "\r\n" : c.ToString();
                    lines.Add(new ConfigLine(text.Substring(start, i - start), nl));
                    i += nl.Length - 1;
                    start = i + 1;
                }
            }

            if (start < text.Length)
            {
                lines.Add(new ConfigLine(text.Substring(start), string.Empty));
            }

            return lines;
        }

        /// <summary>Joins lines back into text.</summary>
        public static string Join(IEnumerable<ConfigLine> lines)
        {
            var sb = new StringBuilder();
            foreach (var line in lines)
            {
                sb.Append(line.Text).Append(line.Newline);
            }

            return sb.ToString();
        }

        /// <summary>The line ending most lines use, so inserted lines match their neighbours.</summary>
        public static string DominantNewline(IReadOnlyList<ConfigLine> lines)
        {
            int crlf = 0, lf = 0, cr = 0;
            foreach (var l in lines)
            {
                if (l.Newline == "\r\n") crlf++;
                else if (l.Newline == "\n") lf++;
                else if (l.Newline == "\r") cr++;
            }

            if (crlf > lf && crlf >= cr) return "\r\n";
            if (cr > lf && cr > crlf) return "\r";
            return "\n";
        }

        /// <summary>
        /// Inserts a line after index <paramref name="after"/> (-1 = at the top), giving the previous line an
        /// ending if it was the last line and had none.
        /// </summary>
        public static void InsertAfter(List<ConfigLine> lines, int after, string text)
        {
            string nl = DominantNewline(lines);
            if (after >= 0 && lines[after].Newline.Length == 0)
            {
                lines[after].Newline = nl;
                lines.Insert(after + 1, new ConfigLine(text, string.Empty));
                return;
            }

            lines.Insert(after + 1, new ConfigLine(text, nl));
        }
    }
}
