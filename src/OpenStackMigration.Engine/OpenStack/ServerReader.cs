using System;
using System.Collections.Generic;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using OpenStackMigration.Model;

namespace OpenStackMigration.OpenStack
{
    /// <summary>
    /// Reads Nova's server bodies token by token into <see cref="Instance"/>, skipping what an instance does not keep.
    /// A page of a thousand servers at 2.72 is about 1.7 MB of JSON: built into a document first, it took 60-100 ms of
    /// CPU; read as a stream, 6-10 ms. For a whole process listing 5,001 instances that was 2.37 CPU-s and 199 MB at
    /// peak before, 1.92 CPU-s and 164 MB after, on a machine whose two cores Nova's API workers also need (medians of 6,
    /// bench/readside.ps1's listing). The same reader serves a document already parsed (<see cref="JToken.CreateReader"/>),
    /// so a server reads the same whatever it came from. Values read as <see cref="Json"/> reads them: absent, null and
    /// "" are null; a number where text is expected is its JSON text; dates stay text until read as a time (Nova's have
    /// no offset and mean UTC).
    /// </summary>
    internal static class ServerReader
    {
        /// <summary>A page of <c>GET /servers/detail</c>: its servers in Nova's order, and whether Nova linked a next page.</summary>
        public static (List<Instance> Servers, bool HasNextLink) ReadPage(JsonReader reader)
        {
            var servers = new List<Instance>();
            var next = false;
            if (!reader.Read() || reader.TokenType != JsonToken.StartObject)
            {
                return (servers, false);
            }

            while (NextProperty(reader, out var name))
            {
                if (name == "servers" && reader.TokenType == JsonToken.StartArray)
                {
                    while (reader.Read() && reader.TokenType != JsonToken.EndArray)
                    {
                        if (reader.TokenType == JsonToken.StartObject)
                        {
                            servers.Add(ReadServer(reader));
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }
                }
                else if (name == "servers_links" && reader.TokenType == JsonToken.StartArray)
                {
                    while (reader.Read() && reader.TokenType != JsonToken.EndArray)
                    {
                        if (reader.TokenType == JsonToken.StartObject)
                        {
                            next |= Property(reader, "rel") == "next";
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }
                }
                else
                {
                    reader.Skip();
                }
            }

            return (servers, next);
        }

        /// <summary>One server object; the reader is on its start and is left on its end.</summary>
        public static Instance ReadServer(JsonReader reader)
        {
            var instance = new Instance();
            string? statusText = null;
            string? imageId = null;
            var volumes = new List<AttachedVolume>();
            var groups = new List<string>();
            FlavorInfo? flavor = null;
            while (NextProperty(reader, out var name))
            {
                switch (name)
                {
                    case "id": instance.Id = Str(reader) ?? string.Empty; break;
                    case "name": instance.Name = Str(reader) ?? string.Empty; break;
                    case "status": statusText = Str(reader); break;
                    case "OS-EXT-STS:task_state": instance.TaskState = Str(reader); break;
                    case "OS-EXT-STS:vm_state": instance.VmState = Str(reader); break;
                    case "OS-EXT-STS:power_state": instance.PowerState = (PowerState)(int)(Long(reader) ?? 0); break;
                    case "OS-EXT-SRV-ATTR:host": instance.HostName = Str(reader); break;
                    case "OS-EXT-SRV-ATTR:hypervisor_hostname": instance.HypervisorHostname = Str(reader); break;
                    case "OS-EXT-SRV-ATTR:instance_name": instance.InstanceName = Str(reader); break;
                    case "OS-EXT-AZ:availability_zone": instance.AvailabilityZone = Str(reader); break;
                    case "tenant_id": instance.ProjectId = Str(reader); break;
                    case "user_id": instance.UserId = Str(reader); break;
                    case "locked":
                        instance.Locked = reader.TokenType == JsonToken.Boolean && (bool)reader.Value!;
                        reader.Skip();
                        break;
                    case "created": instance.Created = Time(reader); break;
                    case "updated": instance.Updated = Time(reader); break;
                    case "flavor":
                        flavor = reader.TokenType == JsonToken.StartObject ? ReadFlavor(reader, null) : null;
                        reader.Skip();
                        break;
                    case "image":
                        // A volume-backed server shows "image": "" (an empty string), not null.
                        imageId = reader.TokenType == JsonToken.StartObject ? Property(reader, "id") : null;
                        reader.Skip();
                        break;
                    case "fault":
                        instance.Fault = reader.TokenType == JsonToken.StartObject ? Property(reader, "message") : null;
                        reader.Skip();
                        break;
                    case "os-extended-volumes:volumes_attached":
                        volumes.Clear();
                        ReadVolumes(reader, volumes);
                        break;
                    case "server_groups":
                        groups.Clear();
                        ReadStrings(reader, groups);
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            instance.StatusText = statusText ?? string.Empty;
            instance.Status = NovaClient.ParseServerStatus(instance.StatusText);
            instance.Flavor = flavor ?? new FlavorInfo();
            instance.ImageId = imageId;
            instance.IsVolumeBacked = imageId == null;
            instance.Volumes = volumes;
            instance.ServerGroups = groups;
            return instance;
        }

        /// <summary>
        /// A flavor object (a server's embedded one from 2.47, or <c>GET /flavors/{id}</c>'s); the reader is on its start
        /// and is left on its end. <paramref name="id"/>, when given, is the id it is known by.
        /// </summary>
        public static FlavorInfo ReadFlavor(JsonReader reader, string? id)
        {
            string? ownId = null, originalName = null, name = null;
            int vcpus = 0, ram = 0, disk = 0, ephemeral = 0, extEphemeral = 0, swap = 0;
            var extra = new Dictionary<string, string>(StringComparer.Ordinal);
            while (NextProperty(reader, out var property))
            {
                switch (property)
                {
                    case "id": ownId = Str(reader); break;
                    case "original_name": originalName = Str(reader); break;
                    case "name": name = Str(reader); break;
                    case "vcpus": vcpus = Int(reader); break;
                    case "ram": ram = Int(reader); break;
                    case "disk": disk = Int(reader); break;
                    case "ephemeral": ephemeral = Int(reader); break;
                    case "OS-FLV-EXT-DATA:ephemeral": extEphemeral = Int(reader); break;
                    case "swap": swap = Int(reader); break;
                    case "extra_specs":
                        if (reader.TokenType == JsonToken.StartObject)
                        {
                            extra.Clear();
                            while (NextProperty(reader, out var key))
                            {
                                extra[key] = reader.TokenType == JsonToken.String ? (string)reader.Value! : Text(reader);
                            }
                        }
                        else
                        {
                            reader.Skip();
                        }

                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            id ??= ownId;
            return new FlavorInfo
            {
                Id = id,
                Name = originalName ?? name ?? id ?? string.Empty,
                Vcpus = vcpus,
                RamMB = ram,
                DiskGB = disk,
                EphemeralGB = ephemeral + extEphemeral,
                SwapMB = swap,
                ExtraSpecs = extra,
            };
        }

        /// <summary>The reader moved onto its first token (a reader over a document starts before it).</summary>
        public static JsonReader Started(this JsonReader reader)
        {
            reader.Read();
            return reader;
        }

        /// <summary>Moves to the next property of the object the reader is in, and onto its value; false at the object's end.</summary>
        private static bool NextProperty(JsonReader reader, out string name)
        {
            if (reader.Read() && reader.TokenType == JsonToken.PropertyName)
            {
                name = (string)reader.Value!;
                reader.Read();
                return true;
            }

            name = string.Empty;
            return false;
        }

        /// <summary>The text of the value the reader is on (see <see cref="Json.Str"/>); a container is read whole.</summary>
        private static string? Str(JsonReader reader)
        {
            switch (reader.TokenType)
            {
                case JsonToken.Null:
                case JsonToken.Undefined:
                    return null;
                case JsonToken.String:
                    var text = (string?)reader.Value;
                    return string.IsNullOrEmpty(text) ? null : text;
                default:
                    var json = Text(reader);
                    return string.IsNullOrEmpty(json) ? null : json;
            }
        }

        /// <summary>Any value as its JSON text (a container is read whole), as <see cref="Json.Str"/> shows a non-string.</summary>
        private static string Text(JsonReader reader) =>
            reader.TokenType == JsonToken.StartObject || reader.TokenType == JsonToken.StartArray
                ? JToken.ReadFrom(reader).ToString(Formatting.None)
                : new JValue(reader.Value).ToString(Formatting.None);

        private static long? Long(JsonReader reader)
        {
            switch (reader.TokenType)
            {
                case JsonToken.Integer:
                case JsonToken.Float:
                    return reader.Value switch
                    {
                        long whole => whole,
                        double real => (long)real,
                        _ => (long)(double)new JValue(reader.Value),
                    };
                case JsonToken.String:
                    return Json.ParseLong((string?)reader.Value);
                default:
                    reader.Skip();
                    return null;
            }
        }

        private static int Int(JsonReader reader) => (int)(Long(reader) ?? 0);

        private static DateTimeOffset? Time(JsonReader reader)
        {
            switch (reader.TokenType)
            {
                case JsonToken.Date:
                    return reader.Value is DateTimeOffset offset ? offset : Json.AsUtc((DateTime)reader.Value!);
                case JsonToken.String:
                    return Json.ParseTime((string?)reader.Value);
                default:
                    reader.Skip();
                    return null;
            }
        }

        /// <summary>The text of one property of the object the reader is on (read to its end).</summary>
        private static string? Property(JsonReader reader, string wanted)
        {
            string? value = null;
            while (NextProperty(reader, out var name))
            {
                if (name == wanted)
                {
                    value = Str(reader);
                }
                else
                {
                    reader.Skip();
                }
            }

            return value;
        }

        private static void ReadVolumes(JsonReader reader, List<AttachedVolume> volumes)
        {
            if (reader.TokenType != JsonToken.StartArray)
            {
                reader.Skip();
                return;
            }

            while (reader.Read() && reader.TokenType != JsonToken.EndArray)
            {
                var volume = new AttachedVolume();
                if (reader.TokenType == JsonToken.StartObject)
                {
                    while (NextProperty(reader, out var name))
                    {
                        if (name == "id")
                        {
                            volume.VolumeId = Str(reader) ?? string.Empty;
                        }
                        else if (name == "delete_on_termination")
                        {
                            volume.DeleteOnTermination = reader.TokenType == JsonToken.Boolean ? (bool)reader.Value! : (bool?)null;
                            reader.Skip();
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }
                }
                else
                {
                    reader.Skip();
                }

                volumes.Add(volume);
            }
        }

        private static void ReadStrings(JsonReader reader, List<string> values)
        {
            if (reader.TokenType != JsonToken.StartArray)
            {
                reader.Skip();
                return;
            }

            while (reader.Read() && reader.TokenType != JsonToken.EndArray)
            {
                values.Add(reader.TokenType == JsonToken.String ? (string?)reader.Value ?? string.Empty
                    : reader.TokenType == JsonToken.Null ? string.Empty
                    : Text(reader));
            }
        }
    }
}
