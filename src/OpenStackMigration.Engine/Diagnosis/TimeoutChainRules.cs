using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using OpenStackMigration.Config;
using OpenStackMigration.Model;

namespace OpenStackMigration.Diagnosis
{
    /// <summary>
    /// The rules of the timeout chain a live migration crosses (HAProxy -> API -> RPC -> Keystone token), as pure
    /// functions of the readings. Each finding names its rule, why it matters (from what Nova's code does) and the fix.
    /// The Seconds a finding recommends is never below any rpc_response_timeout found, because Set-OSMigrationTimeout sets
    /// rpc_response_timeout to that value for nova and cinder everywhere: a fix must not lower a timeout that works.
    /// </summary>
    public static class TimeoutChainRules
    {
        /// <summary>Every rpc_response_timeout agrees, per project, across services and nodes.</summary>
        public const string RpcDisagree = "TimeoutChain.RpcTimeoutDisagrees";

        /// <summary>Nova's long_rpc_timeout agrees across services and nodes.</summary>
        public const string LongRpcDisagree = "TimeoutChain.LongRpcTimeoutDisagrees";

        /// <summary>long_rpc_timeout >= rpc_response_timeout.</summary>
        public const string LongBelowRpc = "TimeoutChain.LongRpcBelowRpc";

        /// <summary>A value the service refuses.</summary>
        public const string InvalidValue = "TimeoutChain.InvalidValue";

        /// <summary>haproxy's 'timeout server' of the nova/cinder API exceeds that API's rpc_response_timeout plus the margin.</summary>
        public const string HAProxyBelowRpc = "TimeoutChain.HAProxyBelowRpc";

        /// <summary>haproxy's 'timeout server' of the nova API against nova's long_rpc_timeout (synchronous long calls).</summary>
        public const string HAProxyBelowLongRpc = "TimeoutChain.HAProxyBelowLongRpc";

        /// <summary>haproxy's 'timeout client' >= 'timeout server'.</summary>
        public const string ClientBelowServer = "TimeoutChain.HAProxyClientBelowServer";

        /// <summary>Nova sends a service token with the user's.</summary>
        public const string NoServiceUserToken = "TimeoutChain.NoServiceUserToken";

        /// <summary>Keystone's token lifetime exceeds the longest wait when some nova service sends no service token.</summary>
        public const string TokenExpiresBeforeLongRpc = "TimeoutChain.TokenExpiresBeforeLongRpc";

        /// <summary>
        /// Seconds haproxy must wait beyond the API's rpc_response_timeout: the API starts its RPC wait only after it has
        /// validated the token (0.8-1.75 s measured on a Zed lab without Keystone's cache) and read the database, and
        /// answers only after the wait. 10 s covers that several times over on a busy API, so a call Nova would still
        /// answer (or fail with its own message) is not cut into a bare 504. Set-OSMigrationTimeout adds it too.
        /// </summary>
        public const int HAProxyMarginSeconds = 10;

        private static readonly int DefaultRpc = int.Parse(OsloServices.NovaRpcResponseTimeout.Default, CultureInfo.InvariantCulture);
        private static readonly int DefaultLongRpc = int.Parse(OsloServices.NovaLongRpcTimeout.Default, CultureInfo.InvariantCulture);
        private static readonly int DefaultExpiration = int.Parse(OsloServices.KeystoneTokenExpiration.Default, CultureInfo.InvariantCulture);

        /// <summary>Every finding, passed checks included (Severity OK), in a stable order.</summary>
        public static List<OSTimeoutFinding> Evaluate(TimeoutChainReadings r)
        {
            var findings = new List<OSTimeoutFinding>();
            int floor = Floor(r);
            findings.AddRange(Invalid(r, floor));
            findings.AddRange(Agreement(r, "Nova", r.NovaRpc, floor));
            findings.AddRange(Agreement(r, "Cinder", r.CinderRpc, floor));
            findings.AddRange(Agreement(r, "Nova", r.NovaLongRpc, floor));
            findings.AddRange(LongVersusRpc(r, floor));
            findings.AddRange(HAProxy(r, floor));
            findings.AddRange(Tokens(r));
            return findings;
        }

        /// <summary>The largest rpc_response_timeout of nova and cinder found (their default when none): the least a fix may set.</summary>
        internal static int Floor(TimeoutChainReadings r)
        {
            var all = r.NovaRpc.Concat(r.CinderRpc).Where(s => s.Valid && s.Seconds != null).Select(s => (int)Math.Min(int.MaxValue / 1000, s.Seconds!.Value)).ToList();
            return all.Count == 0 ? DefaultRpc : Math.Max(1, all.Max());
        }

        private static IEnumerable<OSTimeoutFinding> Invalid(TimeoutChainReadings r, int floor)
        {
            foreach (var s in r.NovaRpc.Concat(r.NovaLongRpc).Concat(r.CinderRpc).Concat(r.ServiceUserToken).Where(s => !s.Valid && s.Error == null))
            {
                bool timeout = s.Setting != OsloServices.NovaSendServiceUserToken.Name;
                var f = FromSetting(s, Layer(s), InvalidValue, FindingSeverity.Error);
                f.Why = $"{s.Service} cannot read {s.Setting} = '{s.Value}' ({Where(s)}): it is not {(timeout ? "an integer" : "a boolean")} as oslo.config reads it, so the service does not start after its next restart.";
                f.Fix = timeout ? SetCommand(r, floor) : $"Write 'send_service_user_token = true' in [service_user] of {s.Path ?? "nova.conf"} on {s.ComputerName}";
                f.Seconds = timeout ? floor : (int?)null;
                yield return f;
            }
        }

        private static IEnumerable<OSTimeoutFinding> Agreement(TimeoutChainReadings r, string layer, List<OSConfigSetting> readings, int floor)
        {
            var valid = readings.Where(s => s.Valid && s.Error == null).ToList();
            if (valid.Count == 0) yield break;
            bool isLong = valid[0].Setting == OsloServices.NovaLongRpcTimeout.Name;
            string rule = isLong ? LongRpcDisagree : RpcDisagree;
            var distinct = valid.Select(s => s.Seconds).Distinct().ToList();
            long? highest = valid.Max(s => s.Seconds ?? long.MaxValue) is long m && m != long.MaxValue ? m : (long?)null;
            string list = string.Join(", ", valid.GroupBy(s => Shown(s)).Select(g => $"{g.Key} on {string.Join(", ", g.Select(s => s.ComputerName + " " + s.Service))}"));
            foreach (var s in valid)
            {
                bool ok = distinct.Count == 1 || s.Seconds == highest || (s.Seconds == null && highest == null);
                var f = FromSetting(s, layer, rule, ok ? FindingSeverity.OK : FindingSeverity.Warning);
                if (ok)
                {
                    f.Why = distinct.Count == 1
                        ? $"Every {layer.ToLowerInvariant()} service read agrees: {s.Setting} = {Shown(s)}."
                        : $"{s.Setting} = {Shown(s)} here, the largest found ({list}).";
                    yield return f;
                    continue;
                }

                f.Why = $"{s.Setting} = {Shown(s)} ({Where(s)}), but the services do not agree: {list}. An RPC call waits as long as the caller's own "
                    + $"{s.Setting} says, so the same call fails after {Shown(s)} s when this {s.Service} makes it and succeeds from another service or node; "
                    + "which node handled a migration then decides its fate, and a timeout found on one node is not reproduced on another.";
                if (isLong)
                {
                    f.Fix = $"Set-OSRpcTimeout -Service nova -Setting long_rpc_timeout -Seconds {highest}{Nodes(r)}{r.FixArguments} -Restart";
                }
                else
                {
                    int target = (int)Math.Max(floor, Math.Min(int.MaxValue / 1000, highest ?? floor));
                    f.Fix = SetCommand(r, target);
                    f.Seconds = target;
                }

                yield return f;
            }
        }

        private static IEnumerable<OSTimeoutFinding> LongVersusRpc(TimeoutChainReadings r, int floor)
        {
            foreach (var longRpc in r.NovaLongRpc.Where(s => s.Valid && s.Error == null))
            {
                var rpc = r.NovaRpc.FirstOrDefault(s => s.ComputerName == longRpc.ComputerName && s.Service == longRpc.Service && s.Valid && s.Error == null);
                if (rpc?.Seconds == null) continue;
                bool ok = longRpc.Seconds == null || longRpc.Seconds >= rpc.Seconds;
                var f = FromSetting(longRpc, "Nova", LongBelowRpc, ok ? FindingSeverity.OK : FindingSeverity.Error);
                if (ok)
                {
                    f.Why = $"long_rpc_timeout ({Shown(longRpc)}) >= rpc_response_timeout ({rpc.Seconds}).";
                    yield return f;
                    continue;
                }

                f.Why = $"long_rpc_timeout = {longRpc.Seconds} ({Where(longRpc)}) is below rpc_response_timeout = {rpc.Seconds} ({Where(rpc)}). Since Rocky, Nova waits "
                    + "long_rpc_timeout for its slow calls (the destination's check_can_live_migrate_destination and pre_live_migration, post_live_migration_at_destination, "
                    + "the scheduler's select_destinations, resize steps; nova/compute/rpcapi.py), with rpc_response_timeout only as the heartbeat; here those calls "
                    + "give up sooner than ordinary ones, and a slow destination makes the migration fail with 'Timeout while checking if we can live migrate to host'.";
                int target = (int)Math.Max(floor, Math.Min(int.MaxValue / 1000, rpc.Seconds.Value));
                f.Fix = SetCommand(r, target);
                f.Seconds = target;
                yield return f;
            }
        }

        private static IEnumerable<OSTimeoutFinding> HAProxy(TimeoutChainReadings r, int floor)
        {
            foreach (var p in r.Proxies)
            {
                if (p.Api == "nova" || p.Api == "cinder")
                {
                    var (rpc, from) = ApiWait(p.Api == "nova" ? r.NovaRpc : r.CinderRpc, p.Api, DefaultRpc);
                    yield return BelowRpc(r, p, rpc, from, floor);
                    if (p.Api == "nova")
                    {
                        var (longRpc, longFrom) = ApiWait(r.NovaLongRpc, "nova", DefaultLongRpc);
                        yield return BelowLongRpc(r, p, longRpc, longFrom);
                    }
                }

                yield return ClientServer(p);
            }
        }

        private static OSTimeoutFinding BelowRpc(TimeoutChainReadings r, HAProxyProxyReading p, long rpc, string from, int floor)
        {
            long needMs = (rpc + HAProxyMarginSeconds) * 1000;
            var f = FromProxy(p, "timeout server", p.ServerValue, p.ServerMilliseconds, p.ServerSource, HAProxyBelowRpc);
            string calls = p.Api == "nova"
                ? "nova-api waits rpc_response_timeout for its ordinary synchronous calls to a compute (attach_interface, get_console_output, the uptime of each hypervisor in /os-hypervisors at microversion 2.88+; nova/compute/rpcapi.py)"
                : "cinder-api waits rpc_response_timeout for its synchronous calls to cinder-volume, among them the attachment updates and connection set-ups nova-compute asks for in pre_live_migration and after the move (cinder has no long_rpc_timeout)";
            if (p.ServerValue != null && p.ServerMilliseconds == null)
            {
                f.Severity = FindingSeverity.Error;
                f.Why = $"'timeout server {p.ServerValue}' ({p.ServerSource}) is not a time haproxy accepts; haproxy refuses to start or reload with it.";
            }
            else if (p.ServerMilliseconds == null || p.ServerMilliseconds >= needMs)
            {
                f.Severity = FindingSeverity.OK;
                f.Why = p.ServerMilliseconds == null
                    ? $"No 'timeout server': haproxy never cuts the {p.Api} API's answers (it warns about the missing timeout)."
                    : $"'timeout server' {Secs(p.ServerMilliseconds)} s >= {p.Api}'s rpc_response_timeout {rpc} s ({from}) + {HAProxyMarginSeconds} s.";
                return f;
            }
            else
            {
                f.Severity = FindingSeverity.Error;
                f.Why = $"'timeout server' is {Secs(p.ServerMilliseconds)} s{Unitless(p.ServerValue)} ({p.ServerSource}), less than {p.Api}'s rpc_response_timeout {rpc} s ({from}) "
                    + $"+ {HAProxyMarginSeconds} s. {calls}. When such a call is slow, haproxy answers '504 Gateway Time-out' first while {p.Api} carries on: "
                    + $"the caller (a user, or nova-compute in the middle of a migration) sees a bare 504 instead of {p.Api}'s own answer or error.";
            }

            int target = (int)Math.Max(floor, Math.Min(int.MaxValue / 1000, rpc));
            f.Fix = SetCommand(r, target);
            f.Seconds = target;
            return f;
        }

        private static OSTimeoutFinding BelowLongRpc(TimeoutChainReadings r, HAProxyProxyReading p, long longRpc, string from)
        {
            var f = FromProxy(p, "timeout server", p.ServerValue, p.ServerMilliseconds, p.ServerSource, HAProxyBelowLongRpc);
            if (p.ServerMilliseconds == null || p.ServerMilliseconds >= (longRpc + HAProxyMarginSeconds) * 1000)
            {
                f.Severity = FindingSeverity.OK;
                f.Why = $"'timeout server' {(p.ServerMilliseconds == null ? "unset" : Secs(p.ServerMilliseconds) + " s")} covers nova's long_rpc_timeout {longRpc} s ({from}).";
                return f;
            }

            f.Severity = FindingSeverity.Info;
            f.Why = $"'timeout server' {Secs(p.ServerMilliseconds)} s is below nova's long_rpc_timeout {longRpc} s ({from}). Live migration requests at microversion 2.34+ "
                + "return at once (the conductor is cast to), so they are not concerned; but nova-api waits long_rpc_timeout in a request for a live migration "
                + "below microversion 2.34 (the conductor's migrate_server with its pre-checks) and for a volume attachment (reserve_block_device_name): "
                + "a slow destination or compute then gives the client haproxy's 504 while Nova goes on.";
            f.Fix = $"Only if clients use such calls: Set-OSHAProxyTimeout -Seconds {longRpc + HAProxyMarginSeconds} -Proxy {p.ServerSection}{OnNode(p.ComputerName)}{r.FixArguments} -Path {p.Path} -Reload";
            return f;
        }

        private static OSTimeoutFinding ClientServer(HAProxyProxyReading p)
        {
            var f = FromProxy(p, "timeout client", p.ClientValue, p.ClientMilliseconds, p.ClientSource, ClientBelowServer);
            bool below = p.ClientMilliseconds != null && (p.ServerMilliseconds == null || p.ClientMilliseconds < p.ServerMilliseconds);
            if (!below)
            {
                f.Severity = FindingSeverity.OK;
                f.Why = $"'timeout client' {(p.ClientMilliseconds == null ? "unset" : Secs(p.ClientMilliseconds) + " s")} >= 'timeout server' {(p.ServerMilliseconds == null ? "unset" : Secs(p.ServerMilliseconds) + " s")}.";
                return f;
            }

            f.Severity = FindingSeverity.Info;
            f.Why = $"'timeout client' {Secs(p.ClientMilliseconds)} s ({p.ClientSource}) is below 'timeout server' {(p.ServerMilliseconds == null ? "(unset)" : Secs(p.ServerMilliseconds) + " s")}. "
                + "haproxy 2.6 does not cut a request that waits for its answer when the client side is idle (measured: a 4 s answer behind 'timeout client 1s' "
                + "came through in http and tcp mode), but it cuts a client that is slower than that to send its body or read the answer (an image upload), "
                + "and haproxy's manual asks for equal client and server timeouts to avoid cases that are hard to debug.";
            f.Fix = $"In {p.Path} on {p.ComputerName}, section {p.Proxy.Split(new[] { " -> " }, StringSplitOptions.None)[0]}: timeout client {(p.ServerMilliseconds == null ? "(as the server's)" : HAProxyTime.FromSeconds((int)Math.Ceiling(p.ServerMilliseconds.Value / 1000.0)))}";
            return f;
        }

        private static IEnumerable<OSTimeoutFinding> Tokens(TimeoutChainReadings r)
        {
            var (longest, longFrom) = ApiWait(r.NovaLongRpc, null, DefaultLongRpc);
            var expirations = r.TokenExpiration.Where(s => s.Valid && s.Error == null).ToList();
            var shortest = expirations.OrderBy(s => s.Seconds ?? long.MaxValue).FirstOrDefault();
            long expiration = shortest?.Seconds ?? DefaultExpiration;
            string expFrom = shortest == null ? $"Keystone's default; no keystone.conf was read on the nodes given" : $"{shortest.ComputerName} {Where(shortest)}";
            var without = r.ServiceUserToken.Where(s => s.Valid && s.Error == null && s.Enabled != true).ToList();
            foreach (var s in r.ServiceUserToken.Where(s => s.Valid && s.Error == null))
            {
                bool on = s.Enabled == true;
                var f = FromSetting(s, "Nova", NoServiceUserToken, on ? FindingSeverity.OK : FindingSeverity.Warning);
                if (on)
                {
                    f.Why = "send_service_user_token is on: calls nova makes on a user's behalf carry nova's service token too and are accepted after the user's token expired.";
                    yield return f;
                    continue;
                }

                f.Why = $"[service_user] send_service_user_token is {(s.Value ?? "unset (false)")} ({Where(s)}). Without it nova calls Cinder and Neutron with the user's token alone "
                    + "(nova/service_auth.py), and nova-compute makes such calls late in a live migration (port bindings and volume attachments of the source in "
                    + $"post_live_migration). A migration that outlasts the token ({expiration} s, {expFrom}) then fails with 401 at the end, the instance half moved. "
                    + "nova-status upgrade check fails on it too since Zed.";
                f.Fix = $"In [service_user] of nova.conf on {s.ComputerName}: send_service_user_token = true with auth_type = password, auth_url, username, password, "
                    + $"user_domain_name, project_name, project_domain_name of nova's service user; then Restart-OSService {s.Service}{OnNode(s.ComputerName)}{r.FixArguments}";
                yield return f;
            }

            foreach (var k in expirations)
            {
                bool shortLived = k.Seconds != null && k.Seconds <= longest;
                var sev = !shortLived ? FindingSeverity.OK : without.Count > 0 ? FindingSeverity.Error : FindingSeverity.Info;
                var f = FromSetting(k, "Keystone", TokenExpiresBeforeLongRpc, sev);
                f.Why = !shortLived
                    ? $"Tokens live {Shown(k)} s, longer than the longest RPC wait (long_rpc_timeout {longest} s, {longFrom})."
                    : $"Tokens live {Shown(k)} s ({Where(k)}), no longer than the longest RPC wait (long_rpc_timeout {longest} s, {longFrom}): a migration whose pre-checks alone take that long "
                      + "continues with an expired user token. "
                      + (without.Count > 0
                          ? $"{string.Join(", ", without.Select(w => w.ComputerName + " " + w.Service))} send no service token, so their calls to Cinder and Neutron are refused (401) and the migration fails at its end."
                          : "Every nova service read sends a service token, which covers it.");
                if (sev == FindingSeverity.Error)
                {
                    f.Fix = $"Turn on [service_user] send_service_user_token on every nova node (see {NoServiceUserToken}), or raise [token] expiration in {k.Path ?? "keystone.conf"} on {k.ComputerName} above {longest}";
                }

                yield return f;
            }
        }

        /// <summary>The longest wait the API services of the project have (all its services when no API service was read; the default when none).</summary>
        private static (long Seconds, string From) ApiWait(List<OSConfigSetting> readings, string? api, int fallback)
        {
            var valid = readings.Where(s => s.Valid && s.Error == null && s.Seconds != null).ToList();
            var apiOnes = api == null ? valid : valid.Where(s => s.Service.StartsWith(api + "-api", StringComparison.Ordinal)).ToList();
            var pool = apiOnes.Count > 0 ? apiOnes : valid;
            if (pool.Count == 0) return (fallback, "its default; no service of it was read on the nodes given");
            var top = pool.OrderByDescending(s => s.Seconds).First();
            return (top.Seconds!.Value, $"{top.Service} on {top.ComputerName}");
        }

        private static OSTimeoutFinding FromSetting(OSConfigSetting s, string layer, string rule, FindingSeverity severity) => new OSTimeoutFinding
        {
            Layer = layer,
            ComputerName = s.ComputerName,
            Service = s.Service,
            Setting = s.Section() + s.Setting,
            Value = s.Value,
            ValueSeconds = s.Seconds,
            Source = s.LineNumber != null ? $"{s.Source}:{s.LineNumber}" : s.Source,
            Path = s.Path,
            Rule = rule,
            Severity = severity,
        };

        private static string Section(this OSConfigSetting s) =>
            s.Setting == OsloServices.NovaSendServiceUserToken.Name ? "[service_user] " : s.Setting == OsloServices.KeystoneTokenExpiration.Name ? "[token] " : string.Empty;

        private static OSTimeoutFinding FromProxy(HAProxyProxyReading p, string setting, string? value, long? ms, string source, string rule) => new OSTimeoutFinding
        {
            Layer = "HAProxy",
            ComputerName = p.ComputerName,
            Service = p.Proxy,
            Api = p.Api,
            Setting = setting,
            Value = value,
            ValueSeconds = ms / 1000.0,
            Source = source,
            Path = p.Path,
            Rule = rule,
        };

        private static string Layer(OSConfigSetting s) => s.Service.StartsWith("cinder", StringComparison.Ordinal) ? "Cinder" : "Nova";

        private static string Shown(OSConfigSetting s) => s.Seconds?.ToString(CultureInfo.InvariantCulture) ?? (s.Value == null ? "(default)" : "none (no timeout)");

        private static string Where(OSConfigSetting s) => s.LineNumber != null ? $"{s.Source}:{s.LineNumber}" : s.Source == "default" ? "the default" : s.Source;

        private static string Secs(long? ms) => ms == null ? "unset" : (ms.Value / 1000.0).ToString("0.###", CultureInfo.InvariantCulture);

        private static string Unitless(string? raw) =>
            raw != null && HAProxyTime.TryParse(raw, out _, out bool unit, out _) && !unit ? $" ('{raw}' has no unit, so haproxy reads milliseconds)" : string.Empty;

        private static string Nodes(TimeoutChainReadings r)
        {
            // This machine alone needs no -ComputerName; beside remote nodes it is named like them.
            return r.Nodes.All(n => n == "localhost") ? string.Empty : " -ComputerName " + string.Join(",", r.Nodes);
        }

        private static string OnNode(string computerName) => computerName == "localhost" ? string.Empty : " -ComputerName " + computerName;

        private static string SetCommand(TimeoutChainReadings r, int seconds) => $"Set-OSMigrationTimeout -Seconds {seconds}{Nodes(r)}{r.FixArguments}{r.SetMigrationTimeoutArguments} -Restart";
    }
}
