using System.Collections.Immutable;
using System.Globalization;
using System.Numerics;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Memory;
using Workbench.Mmu.Nested;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Experiments;

/// <summary>
/// Reads one <c>mmu-workbench.experiment/1</c> JSON document into an <see cref="Experiment"/>. Strict: unknown
/// fields, wrong types and out-of-range values are errors that name the field (<see cref="ExperimentFormatException"/>),
/// so a typo never silently changes what runs. The format is documented in <c>docs/experiment-format.md</c>.
/// </summary>
public static class ExperimentParser
{
    private static readonly string[] s_topFields = ["format", "name", "vm", "memory", "vcpu", "nested", "steps"];
    private static readonly string[] s_nestedFields = ["kind", "l1_tdp", "eptp", "ncr3", "ept", "vcpu"];
    private static readonly string[] s_eptFields = ["ad", "execonly", "mbec"];
    private static readonly string[] s_cpuidFields = ["maxphyaddr", "gbpages"];
    private static readonly string[] s_vmFields = ["vendor", "maxphyaddr", "memory", "tdp", "gbpages"];
    private static readonly string[] s_memoryFields = ["gpa", "u64"];
    private static readonly string[] s_stepKinds = ["access", "peek", "poke", "invlpg", "set", "cpuid", "store", "dump"];
    private static readonly string[] s_storeFields = ["store", "u64", "cpl", "level"];
    private static readonly string[] s_accessFields = ["access", "gva", "cpl", "implicit", "level"];
    private static readonly string[] s_pokeFields = ["poke", "u64"];

    private const string MoreJson =
        "more JSON after the experiment object (one experiment per document; use --jsonl for one per line)";

    private static readonly JsonLoadSettings s_loadSettings = new()
    {
        DuplicatePropertyNameHandling = DuplicatePropertyNameHandling.Error,
        LineInfoHandling = LineInfoHandling.Load,
        CommentHandling = CommentHandling.Ignore,
    };

    /// <summary>Parses and validates one experiment.</summary>
    /// <param name="json">The JSON text of one experiment object.</param>
    /// <param name="firstLineNumber">Line number of the text's first line in its file (JSON-lines input), for syntax errors.</param>
    /// <exception cref="ExperimentFormatException">The text is not a valid experiment.</exception>
    public static Experiment Parse(string json, int firstLineNumber = 1)
    {
        ArgumentNullException.ThrowIfNull(json);
        var root = Load(json, firstLineNumber);
        if (root is not JObject top)
        {
            throw new ExperimentFormatException("json", $"an experiment is a JSON object, got {Describe(root)}");
        }

        var name = top["name"] is JValue { Type: JTokenType.String } nameValue ? (string?)nameValue.Value : null;
        try
        {
            var experiment = ReadExperiment(top);
            if (ExperimentValidator.Validate(experiment) is { } invalid)
            {
                throw invalid;
            }

            return experiment;
        }
        catch (ExperimentFormatException error)
        {
            throw error.WithName(name);
        }
    }

    /// <summary>Like <see cref="Parse"/>, reporting a bad experiment through <paramref name="error"/> instead of throwing.</summary>
    public static bool TryParse(string json, out Experiment? experiment, out ExperimentFormatException? error, int firstLineNumber = 1)
    {
        try
        {
            experiment = Parse(json, firstLineNumber);
            error = null;
            return true;
        }
        catch (ExperimentFormatException problem)
        {
            experiment = null;
            error = problem;
            return false;
        }
        catch (Exception failure) when (failure is not OutOfMemoryException)
        {
            // TryParse is an experiment boundary (batches call it per line): a parser bug must not end the batch.
            experiment = null;
            error = new ExperimentFormatException("internal error", $"{failure.GetType().Name}: {failure.Message}");
            return false;
        }
    }

    private static JToken Load(string json, int firstLineNumber)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            throw new ExperimentFormatException("json", "empty input (expected one JSON object)");
        }

        // Newtonsoft reports the position just before the offending character; columns here are 1-based.
        var afterExperiment = false;
        try
        {
            using var reader = new JsonTextReader(new StringReader(json))
            {
                DateParseHandling = DateParseHandling.None,
                FloatParseHandling = FloatParseHandling.Double,
                MaxDepth = 32,
            };
            var token = JToken.ReadFrom(reader, s_loadSettings);
            afterExperiment = true;
            while (reader.Read())
            {
                if (reader.TokenType != JsonToken.Comment)
                {
                    throw new ExperimentFormatException("json", $"line {reader.LineNumber + firstLineNumber - 1}, "
                        + $"column {reader.LinePosition + 1}: {MoreJson}");
                }
            }

            return token;
        }
        catch (JsonReaderException error)
        {
            var message = error.Message;
            if (message.StartsWith("Property with the name", StringComparison.Ordinal) && !string.IsNullOrEmpty(error.Path))
            {
                throw new ExperimentFormatException(error.Path, "appears twice in the same object");
            }

            var cut = message.IndexOf(" Path '", StringComparison.Ordinal);
            if (cut < 0)
            {
                cut = message.IndexOf(", line ", StringComparison.Ordinal);
            }

            var reason = (cut < 0 ? message : message[..cut]).TrimEnd('.', ' ');
            throw new ExperimentFormatException("json",
                $"line {error.LineNumber + firstLineNumber - 1}, column {error.LinePosition + 1}: "
                + (afterExperiment ? $"{MoreJson}: {reason}" : reason));
        }
        catch (JsonException error)
        {
            throw new ExperimentFormatException("json", error.Message);
        }
    }

    private static Experiment ReadExperiment(JObject top)
    {
        // The format first: a file of another format version should say so, not trip over a field it added.
        var format = top["format"];
        if (format is null)
        {
            throw new ExperimentFormatException("format", $"missing (every experiment starts with \"format\": \"{Experiment.FormatId}\")");
        }

        if (format.Type != JTokenType.String || (string?)format != Experiment.FormatId)
        {
            throw new ExperimentFormatException("format", $"{Show(format)} is not \"{Experiment.FormatId}\"");
        }

        CheckFields(top, "", s_topFields);
        var experiment = new Experiment();
        if (top["name"] is { } name && name.Type != JTokenType.Null)
        {
            experiment = experiment with { Name = ReadString(name, "name") };
        }

        if (top["vm"] is { } vm)
        {
            experiment = experiment with { Vm = ReadVm(vm) };
        }

        if (top["memory"] is { } memory)
        {
            experiment = experiment with { Memory = ReadMemory(memory) };
        }

        if (top["vcpu"] is { } vcpu)
        {
            experiment = experiment with { Vcpu = ReadRegisters(vcpu, "vcpu") };
        }

        if (top["nested"] is { } nested)
        {
            experiment = experiment with { Nested = ReadNested(nested) };
        }

        if (top["steps"] is { } steps)
        {
            experiment = experiment with { Steps = ReadSteps(steps) };
        }

        return experiment;
    }

    private static VmConfig ReadVm(JToken token)
    {
        var vm = ExpectObject(token, "vm");
        CheckFields(vm, "vm", s_vmFields);
        var config = new VmConfig();
        if (vm["vendor"] is { } vendor)
        {
            config = config with
            {
                Vendor = ReadKeyword(vendor, "vm.vendor", ["intel", "amd"]) == 0 ? Vendor.Intel : Vendor.Amd,
            };
        }

        if (vm["maxphyaddr"] is { } maxPhyAddr)
        {
            config = config with
            {
                MaxPhyAddr = (int)ReadRange(maxPhyAddr, "vm.maxphyaddr", VmConfig.MinMaxPhyAddr, VmConfig.MaxMaxPhyAddr),
            };
        }

        if (vm["memory"] is { } memory)
        {
            var text = memory.Type == JTokenType.Integer
                ? ReadU64(memory, "vm.memory").ToString(CultureInfo.InvariantCulture)
                : ReadString(memory, "vm.memory");
            if (!MemorySize.TryParse(text, out var bytes))
            {
                throw new ExperimentFormatException("vm.memory", $"\"{text}\" is not a size (e.g. \"64M\", \"4G\", \"0x100000\", \"4096\")");
            }

            config = config with { MemorySize = bytes };
        }

        if (vm["tdp"] is { } tdp)
        {
            config = config with
            {
                Tdp = ReadKeyword(tdp, "vm.tdp", ["none", "ept", "npt"]) switch
                {
                    0 => TdpMode.None,
                    1 => TdpMode.Ept,
                    _ => TdpMode.Npt,
                },
            };
        }

        if (vm["gbpages"] is { } gbPages)
        {
            config = config with { GbPages = ReadBool(gbPages, "vm.gbpages") };
        }

        return config;
    }

    private static ImmutableArray<MemoryEntry> ReadMemory(JToken token)
    {
        var array = ExpectArray(token, "memory");
        var entries = ImmutableArray.CreateBuilder<MemoryEntry>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            var path = $"memory[{i}]";
            var entry = ExpectObject(array[i], path);
            CheckFields(entry, path, s_memoryFields);
            entries.Add(new MemoryEntry(
                ReadU64(Required(entry, path, "gpa"), path + ".gpa"),
                ReadU64(Required(entry, path, "u64"), path + ".u64")));
        }

        return entries.MoveToImmutable();
    }

    private static CpuRegisters ReadRegisters(JToken token, string path)
    {
        var vcpu = ExpectObject(token, path);
        var registers = Experiment.DefaultRegisters;
        foreach (var property in vcpu.Properties())
        {
            if (!ExperimentRegisters.TryParse(property.Name, out var register))
            {
                throw UnknownField(path, property.Name, ExperimentRegisters.All.Select(ExperimentRegisters.Name));
            }

            registers = ExperimentRegisters.With(registers, register, ReadRegisterValue(property.Value, path + "." + property.Name, register));
        }

        return registers;
    }

    private static NestedGuest ReadNested(JToken token)
    {
        var nested = ExpectObject(token, "nested");
        CheckFields(nested, "nested", s_nestedFields);
        var kind = ReadKeyword(Required(nested, "nested", "kind"), "nested.kind", ["vmx", "svm"]) == 0 ? NestedKind.Vmx : NestedKind.Svm;
        var l1Tdp = nested["l1_tdp"] is { } l1TdpToken && ReadBool(l1TdpToken, "nested.l1_tdp");
        var rootField = kind == NestedKind.Vmx ? "eptp" : "ncr3";
        var otherField = kind == NestedKind.Vmx ? "ncr3" : "eptp";
        if (nested[otherField] is not null)
        {
            throw new ExperimentFormatException("nested." + otherField, $"belongs to kind {(kind == NestedKind.Vmx ? "svm" : "vmx")} (kind {(kind == NestedKind.Vmx ? "vmx" : "svm")} uses {rootField})");
        }

        ulong root = 0;
        if (nested[rootField] is { } rootToken)
        {
            root = ReadU64(rootToken, "nested." + rootField);
        }
        else if (l1Tdp)
        {
            throw new ExperimentFormatException("nested." + rootField, $"missing (l1_tdp is true: L1's {(kind == NestedKind.Vmx ? "EPT pointer" : "nested CR3")} roots L2's GPA translation)");
        }

        var ept = new EptCapabilities();
        if (nested["ept"] is { } eptToken)
        {
            if (kind != NestedKind.Vmx)
            {
                throw new ExperimentFormatException("nested.ept", "EPT capabilities apply to kind vmx only");
            }

            var eptObject = ExpectObject(eptToken, "nested.ept");
            CheckFields(eptObject, "nested.ept", s_eptFields);
            ept = new EptCapabilities(
                AccessedDirty: eptObject["ad"] is not { } ad || ReadBool(ad, "nested.ept.ad"),
                ExecuteOnly: eptObject["execonly"] is not { } execOnly || ReadBool(execOnly, "nested.ept.execonly"),
                Mbec: eptObject["mbec"] is { } mbec && ReadBool(mbec, "nested.ept.mbec"));
        }

        var registers = nested["vcpu"] is { } vcpu ? ReadRegisters(vcpu, "nested.vcpu") : Experiment.DefaultRegisters;
        return new NestedGuest(kind, l1Tdp, root, ept, registers);
    }

    private static int? ReadLevel(JObject step, string path) =>
        step["level"] is { } level ? (int)ReadRange(level, path + ".level", 1, 2) : null;

    private static ImmutableArray<ExperimentStep> ReadSteps(JToken token)
    {
        var array = ExpectArray(token, "steps");
        var steps = ImmutableArray.CreateBuilder<ExperimentStep>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            steps.Add(ReadStep(array[i], $"steps[{i}]"));
        }

        return steps.MoveToImmutable();
    }

    private static ExperimentStep ReadStep(JToken token, string path)
    {
        var step = ExpectObject(token, path);
        var kinds = step.Properties().Select(p => p.Name).Where(s_stepKinds.Contains).ToList();
        if (kinds.Count > 1)
        {
            throw new ExperimentFormatException(path, $"more than one step kind ({string.Join(", ", kinds)}); write one step per object");
        }

        if (kinds.Count == 0)
        {
            var first = step.Properties().FirstOrDefault()?.Name;
            throw new ExperimentFormatException(path, first is null
                ? $"empty step (expected one of {string.Join(", ", s_stepKinds)})"
                : $"unknown step kind \"{first}\" (expected one of {string.Join(", ", s_stepKinds)})");
        }

        if (kinds[0] is "peek" or "poke" && step["level"] is not null)
        {
            throw new ExperimentFormatException(path + ".level", $"does not apply to {kinds[0]}: it addresses L1's guest-physical memory whichever guest runs");
        }

        switch (kinds[0])
        {
            case "access":
                CheckFields(step, path, s_accessFields);
                var kind = ReadKeyword(step["access"]!, path + ".access", ["read", "write", "fetch"]) switch
                {
                    0 => AccessKind.Read,
                    1 => AccessKind.Write,
                    _ => AccessKind.Fetch,
                };
                var gva = ReadU64(Required(step, path, "gva"), path + ".gva");
                var cpl = step["cpl"] is { } cplToken ? (int)ReadRange(cplToken, path + ".cpl", 0, 3) : 0;
                var isImplicit = step["implicit"] is { } implicitToken && ReadBool(implicitToken, path + ".implicit");
                return new AccessStep(kind, gva, cpl, isImplicit) { Level = ReadLevel(step, path) };
            case "peek":
                CheckFields(step, path, ["peek"]);
                return new PeekStep(ReadU64(step["peek"]!, path + ".peek"));
            case "poke":
                CheckFields(step, path, s_pokeFields);
                return new PokeStep(ReadU64(step["poke"]!, path + ".poke"), ReadU64(Required(step, path, "u64"), path + ".u64"));
            case "invlpg":
                CheckFields(step, path, ["invlpg", "level"]);
                return new InvlpgStep(ReadU64(step["invlpg"]!, path + ".invlpg")) { Level = ReadLevel(step, path) };
            case "store":
                CheckFields(step, path, s_storeFields);
                return new StoreStep(ReadU64(step["store"]!, path + ".store"), ReadU64(Required(step, path, "u64"), path + ".u64"),
                    step["cpl"] is { } storeCpl ? (int)ReadRange(storeCpl, path + ".cpl", 0, 3) : 0) { Level = ReadLevel(step, path) };
            case "dump":
                CheckFields(step, path, ["dump", "level"]);
                ReadKeyword(step["dump"]!, path + ".dump", ["mmu"]);
                return new DumpStep { Level = ReadLevel(step, path) };
            case "cpuid":
                CheckFields(step, path, ["cpuid"]);
                return ReadCpuid(step["cpuid"]!, path + ".cpuid");
            default:
                CheckFields(step, path, ["set", "level"]);
                return ReadSet(step["set"]!, path + ".set") with { Level = ReadLevel(step, path) };
        }
    }

    private static CpuidStep ReadCpuid(JToken token, string path)
    {
        var cpuid = ExpectObject(token, path);
        CheckFields(cpuid, path, s_cpuidFields);
        if (!cpuid.HasValues)
        {
            throw new ExperimentFormatException(path, "nothing to change (expected maxphyaddr and/or gbpages)");
        }

        int? maxPhyAddr = cpuid["maxphyaddr"] is { } m
            ? (int)ReadRange(m, path + ".maxphyaddr", VmConfig.MinMaxPhyAddr, VmConfig.MaxMaxPhyAddr)
            : null;
        bool? gbPages = cpuid["gbpages"] is { } g ? ReadBool(g, path + ".gbpages") : null;
        return new CpuidStep(maxPhyAddr, gbPages);
    }

    private static SetStep ReadSet(JToken token, string path)
    {
        var set = ExpectObject(token, path);
        var writes = ImmutableArray.CreateBuilder<RegisterAssignment>();
        foreach (var property in set.Properties())
        {
            if (!ExperimentRegisters.TryParse(property.Name, out var register))
            {
                throw UnknownField(path, property.Name, ExperimentRegisters.All.Select(ExperimentRegisters.Name));
            }

            writes.Add(new RegisterAssignment(register, ReadRegisterValue(property.Value, path + "." + property.Name, register)));
        }

        if (writes.Count == 0)
        {
            throw new ExperimentFormatException(path, "no register to write");
        }

        return new SetStep(writes.ToImmutable());
    }

    private static ulong ReadRegisterValue(JToken token, string path, VcpuRegister register)
    {
        var value = ReadU64(token, path);
        if (register == VcpuRegister.Pkru && value > uint.MaxValue)
        {
            throw new ExperimentFormatException(path, $"{ExperimentNumbers.Hex(value)} does not fit in 32 bits");
        }

        return value;
    }

    private static JToken Required(JObject obj, string path, string field) =>
        obj[field] ?? throw new ExperimentFormatException(Join(path, field), "missing");

    private static void CheckFields(JObject obj, string path, string[] allowed)
    {
        foreach (var property in obj.Properties())
        {
            if (Array.IndexOf(allowed, property.Name) < 0)
            {
                throw UnknownField(path, property.Name, allowed);
            }
        }
    }

    private static ExperimentFormatException UnknownField(string path, string name, IEnumerable<string> allowed) =>
        new(Join(path, name), $"unknown field (expected {string.Join(", ", allowed)})");

    private static string Join(string path, string field) => path.Length == 0 ? field : path + "." + field;

    private static JObject ExpectObject(JToken token, string path) =>
        token as JObject ?? throw new ExperimentFormatException(path, $"expected an object, got {Describe(token)}");

    private static JArray ExpectArray(JToken token, string path) =>
        token as JArray ?? throw new ExperimentFormatException(path, $"expected an array, got {Describe(token)}");

    private static string ReadString(JToken token, string path) =>
        token.Type == JTokenType.String
            ? (string)token!
            : throw new ExperimentFormatException(path, $"expected a string, got {Describe(token)}");

    private static bool ReadBool(JToken token, string path) =>
        token.Type == JTokenType.Boolean
            ? (bool)token
            : throw new ExperimentFormatException(path, $"expected true or false, got {Describe(token)}");

    private static int ReadKeyword(JToken token, string path, string[] keywords)
    {
        var index = token.Type == JTokenType.String ? Array.IndexOf(keywords, (string?)token) : -1;
        return index >= 0
            ? index
            : throw new ExperimentFormatException(path, $"{Show(token)} is not one of {string.Join(", ", keywords.Select(k => $"\"{k}\""))}");
    }

    private static ulong ReadRange(JToken token, string path, ulong min, ulong max)
    {
        if (token.Type == JTokenType.Integer && ((JValue)token).Value is long negative && negative < 0)
        {
            throw new ExperimentFormatException(path, $"{negative} is out of range ({min}..{max})");
        }

        var value = ReadU64(token, path);
        return value >= min && value <= max
            ? value
            : throw new ExperimentFormatException(path, $"{value} is out of range ({min}..{max})");
    }

    private static ulong ReadU64(JToken token, string path)
    {
        switch (token.Type)
        {
            case JTokenType.Integer:
                var raw = ((JValue)token).Value;
                var big = raw is BigInteger b ? b : new BigInteger(Convert.ToInt64(raw, CultureInfo.InvariantCulture));
                if (big.Sign < 0 || big > ulong.MaxValue)
                {
                    throw new ExperimentFormatException(path, $"{big} does not fit in 64 unsigned bits");
                }

                return (ulong)big;
            case JTokenType.String:
                var text = (string)token!;
                if (ExperimentNumbers.TryParse(text, out var value))
                {
                    return value;
                }

                throw new ExperimentFormatException(path, $"\"{text}\" is not a number (write \"0x1000\" or 4096; at most 64 bits)");
            default:
                throw new ExperimentFormatException(path, $"expected a number (\"0x1000\" or 4096), got {Describe(token)}");
        }
    }

    private static string Show(JToken token) => token.Type switch
    {
        JTokenType.String => JsonConvert.ToString((string?)token),
        JTokenType.Object or JTokenType.Array => Describe(token),
        _ => token.ToString(Formatting.None),
    };

    private static string Describe(JToken token) => token.Type switch
    {
        JTokenType.Object => "an object",
        JTokenType.Array => "an array",
        JTokenType.String => $"the string {JsonConvert.ToString((string?)token)}",
        JTokenType.Integer => $"the integer {token.ToString(Formatting.None)}",
        JTokenType.Float => $"the number {token.ToString(Formatting.None)}",
        JTokenType.Boolean => (bool)token ? "true" : "false",
        JTokenType.Null => "null",
        _ => token.Type.ToString().ToLowerInvariant(),
    };
}
