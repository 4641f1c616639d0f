using System.Collections.Generic;
using System.Linq;
using Newtonsoft.Json;
using OpenStackMigration.Config;

namespace OpenStackMigration.Tests.Support
{
    /// <summary>Debian's python3-oslo.config, as an independent reader of the files we parse and write.</summary>
    public static class OsloReference
    {
        private const string ParseScript = @"
import sys, json
from oslo_config import cfg
sections = {}
try:
    cfg.ConfigParser(sys.argv[1], sections).parse()
    print(json.dumps({'ok': True, 'sections': sections}))
except Exception as e:
    print(json.dumps({'ok': False, 'error': type(e).__name__ + ': ' + str(e)}))
";

        private const string EffectiveScript = @"
import sys, json
from oslo_config import cfg
conf = cfg.ConfigOpts()
conf.register_opts([cfg.IntOpt('rpc_response_timeout', default=60), cfg.IntOpt('long_rpc_timeout', default=1800), cfg.BoolOpt('debug', default=False)])
conf(args=sys.argv[1:], project='osmtest', prog='osmtest-compute', default_config_files=[], default_config_dirs=[])
print(json.dumps({'rpc_response_timeout': conf.rpc_response_timeout, 'long_rpc_timeout': conf.long_rpc_timeout, 'debug': conf.debug}))
";

        public sealed class Parsed
        {
            public bool Ok { get; set; }
            public string? Error { get; set; }
            public Dictionary<string, Dictionary<string, List<string>>> Sections { get; set; } = new Dictionary<string, Dictionary<string, List<string>>>();
        }

        /// <summary>What oslo.config's own parser reads from a file: section -> key -> every value in order.</summary>
        public static Parsed Parse(string path)
        {
            var r = Requires.Sh("exec /usr/bin/python3 -c \"$OSM_PY\" \"$OSM_FILE\"", new Dictionary<string, string> { ["OSM_PY"] = ParseScript, ["OSM_FILE"] = path });
            return JsonConvert.DeserializeObject<Parsed>(r.Out) ?? new Parsed { Error = r.Err };
        }

        /// <summary>What a service started with these arguments (and environment) sees for our options.</summary>
        public static Dictionary<string, object?> Effective(IEnumerable<string> args, IDictionary<string, string>? env = null)
        {
            var e = new Dictionary<string, string> { ["OSM_PY"] = EffectiveScript };
            if (env != null) foreach (var kv in env) e[kv.Key] = kv.Value;
            var quoted = string.Join(" ", args.Select(a => "'" + a + "'"));
            var r = Requires.Sh("exec /usr/bin/python3 -c \"$OSM_PY\" " + quoted, e);
            return JsonConvert.DeserializeObject<Dictionary<string, object?>>(r.Out) ?? throw new System.Exception(r.Err);
        }

        /// <summary>Our parser's view in the same shape.</summary>
        public static Dictionary<string, Dictionary<string, List<string>>> Ours(OsloIniDocument doc)
        {
            var d = new Dictionary<string, Dictionary<string, List<string>>>();
            foreach (var e in doc.Entries)
            {
                if (!d.TryGetValue(e.Section, out var s)) d[e.Section] = s = new Dictionary<string, List<string>>();
                if (!s.TryGetValue(e.Key, out var l)) s[e.Key] = l = new List<string>();
                l.Add(e.Value);
            }

            return d;
        }
    }
}
