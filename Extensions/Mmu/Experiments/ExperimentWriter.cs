using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Workbench.Mmu.Nested;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Memory;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Experiments;

/// <summary>
/// Writes an <see cref="Experiment"/> as canonical JSON: every field explicit (defaults included), fixed field
/// order, numbers as lowercase hex strings (small counts as integers). Parsing the output gives the same experiment
/// and writing that again gives the same bytes, so a notebook session saved with it replays bit for bit.
/// </summary>
public static class ExperimentWriter
{
    /// <summary>
    /// The experiment as JSON. Indented form: one field per line at the top, one memory word or step per line;
    /// single-line form: no whitespace at all (one line of a <c>.jsonl</c> file).
    /// </summary>
    public static string Write(Experiment experiment, bool singleLine = false)
    {
        var tree = ToJObject(experiment);
        if (singleLine)
        {
            return tree.ToString(Formatting.None);
        }

        var text = new StringBuilder();
        text.Append("{\n");
        var properties = tree.Properties().ToList();
        for (var i = 0; i < properties.Count; i++)
        {
            var property = properties[i];
            text.Append("  ").Append(JsonConvert.ToString(property.Name)).Append(": ");
            if (property.Value is JArray { Count: > 0 } array)
            {
                text.Append("[\n");
                for (var j = 0; j < array.Count; j++)
                {
                    text.Append("    ");
                    AppendInline(text, array[j]);
                    text.Append(j + 1 < array.Count ? ",\n" : "\n");
                }

                text.Append("  ]");
            }
            else
            {
                AppendInline(text, property.Value);
            }

            text.Append(i + 1 < properties.Count ? ",\n" : "\n");
        }

        text.Append("}\n");
        return text.ToString();
    }

    /// <summary>The canonical JSON tree of <paramref name="experiment"/>.</summary>
    public static JObject ToJObject(Experiment experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        var top = new JObject { ["format"] = Experiment.FormatId };
        if (experiment.Name is not null)
        {
            top["name"] = experiment.Name;
        }

        top["vm"] = new JObject
        {
            ["vendor"] = experiment.Vm.Vendor == Vendor.Amd ? "amd" : "intel",
            ["maxphyaddr"] = experiment.Vm.MaxPhyAddr,
            ["memory"] = MemorySize.Format(experiment.Vm.MemorySize),
            ["tdp"] = experiment.Vm.Tdp switch
            {
                TdpMode.Ept => "ept",
                TdpMode.Npt => "npt",
                _ => "none",
            },
            ["gbpages"] = experiment.Vm.GbPages,
        };

        var memory = new JArray();
        foreach (var entry in experiment.Memory)
        {
            memory.Add(new JObject { ["gpa"] = Hex(entry.Gpa), ["u64"] = Hex(entry.Value) });
        }

        top["memory"] = memory;
        top["vcpu"] = RegistersToJObject(experiment.Vcpu);
        if (experiment.Nested is { } nested)
        {
            top["nested"] = NestedToJObject(nested);
        }

        var steps = new JArray();
        foreach (var step in experiment.Steps)
        {
            steps.Add(StepToJObject(step));
        }

        top["steps"] = steps;
        return top;
    }

    private static JObject RegistersToJObject(in CpuRegisters registers)
    {
        var vcpu = new JObject();
        foreach (var register in ExperimentRegisters.All)
        {
            vcpu[ExperimentRegisters.Name(register)] = Hex(ExperimentRegisters.Get(registers, register));
        }

        return vcpu;
    }

    private static JObject NestedToJObject(NestedGuest nested)
    {
        var vmx = nested.Kind == NestedKind.Vmx;
        var json = new JObject
        {
            ["kind"] = vmx ? "vmx" : "svm",
            ["l1_tdp"] = nested.L1Tdp,
        };
        if (nested.L1Tdp)
        {
            json[vmx ? "eptp" : "ncr3"] = Hex(nested.TdpRoot);
        }

        if (vmx)
        {
            json["ept"] = new JObject
            {
                ["ad"] = nested.Ept.AccessedDirty,
                ["execonly"] = nested.Ept.ExecuteOnly,
                ["mbec"] = nested.Ept.Mbec,
            };
        }

        json["vcpu"] = RegistersToJObject(nested.Registers);
        return json;
    }

    private static JObject StepToJObject(ExperimentStep step)
    {
        var json = StepFields(step);
        if (step.Level is { } level)
        {
            json["level"] = level;
        }

        return json;
    }

    private static JObject StepFields(ExperimentStep step) => step switch
    {
        AccessStep access => new JObject
        {
            ["access"] = access.Kind switch
            {
                AccessKind.Write => "write",
                AccessKind.Fetch => "fetch",
                _ => "read",
            },
            ["gva"] = Hex(access.Gva),
            ["cpl"] = access.Cpl,
            ["implicit"] = access.Implicit,
        },
        PeekStep peek => new JObject { ["peek"] = Hex(peek.Gpa) },
        PokeStep poke => new JObject { ["poke"] = Hex(poke.Gpa), ["u64"] = Hex(poke.Value) },
        InvlpgStep invlpg => new JObject { ["invlpg"] = Hex(invlpg.Gva) },
        SetStep set => new JObject { ["set"] = SetToJObject(set) },
        CpuidStep cpuid => new JObject { ["cpuid"] = CpuidToJObject(cpuid) },
        StoreStep store => new JObject { ["store"] = Hex(store.Gva), ["u64"] = Hex(store.Value), ["cpl"] = store.Cpl },
        DumpStep => new JObject { ["dump"] = "mmu" },
        _ => throw new ArgumentException($"step kind {step?.GetType().Name ?? "null"} is not part of {Experiment.FormatId}", nameof(step)),
    };

    private static JObject CpuidToJObject(CpuidStep cpuid)
    {
        var json = new JObject();
        if (cpuid.MaxPhyAddr is { } maxPhyAddr)
        {
            json["maxphyaddr"] = maxPhyAddr;
        }

        if (cpuid.GbPages is { } gbPages)
        {
            json["gbpages"] = gbPages;
        }

        return json;
    }

    private static JObject SetToJObject(SetStep set)
    {
        var writes = new JObject();
        foreach (var write in set.Writes)
        {
            writes[ExperimentRegisters.Name(write.Register)] = Hex(write.Value);
        }

        return writes;
    }

    private static string Hex(ulong value) => ExperimentNumbers.Hex(value);

    private static void AppendInline(StringBuilder text, JToken token)
    {
        switch (token)
        {
            case JObject obj:
                text.Append('{');
                var first = true;
                foreach (var property in obj.Properties())
                {
                    text.Append(first ? "" : ", ").Append(JsonConvert.ToString(property.Name)).Append(": ");
                    AppendInline(text, property.Value);
                    first = false;
                }

                text.Append('}');
                break;
            case JArray array:
                text.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    text.Append(i == 0 ? "" : ", ");
                    AppendInline(text, array[i]);
                }

                text.Append(']');
                break;
            default:
                text.Append(token.ToString(Formatting.None));
                break;
        }
    }
}
