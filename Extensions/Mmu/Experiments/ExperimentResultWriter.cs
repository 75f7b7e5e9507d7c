using System.Globalization;
using Newtonsoft.Json;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Experiments;

/// <summary>
/// Writes an <see cref="ExperimentResult"/> as one JSON line (the <c>./workbench run</c> output): field order fixed,
/// numbers as lowercase hex strings without leading zeros, so outputs compare byte for byte.
/// </summary>
public static class ExperimentResultWriter
{
    /// <summary>The result as one line of JSON, without a line terminator.</summary>
    public static string ToJson(ExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        using (var json = new JsonTextWriter(text) { Formatting = Formatting.None })
        {
            Write(json, result);
        }

        return text.ToString();
    }

    /// <summary>Writes <paramref name="result"/> as one JSON object.</summary>
    public static void Write(JsonWriter json, ExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(result);
        json.WriteStartObject();
        json.WritePropertyName("name");
        json.WriteValue(result.Name);
        if (result.Error is not null)
        {
            json.WritePropertyName("error");
            json.WriteValue(result.Error);
        }
        else
        {
            json.WritePropertyName("steps");
            json.WriteStartArray();
            foreach (var step in result.Steps)
            {
                WriteStep(json, step);
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
    }

    private static void WriteStep(JsonWriter json, StepResult step)
    {
        json.WriteStartObject();
        switch (step)
        {
            case AccessResult access:
                WriteWalk(json, access.Walk);
                if (access.Contexts is { } contexts)
                {
                    json.WritePropertyName("contexts");
                    json.WriteStartObject();
                    json.WritePropertyName("mmu");
                    json.WriteValue(contexts.Mmu);
                    json.WritePropertyName("walk");
                    json.WriteValue(contexts.Walk);
                    json.WritePropertyName("guest_mode");
                    json.WriteValue(contexts.GuestMode);
                    json.WriteEndObject();
                }

                if (!access.Trace.IsDefault)
                {
                    json.WritePropertyName("trace");
                    json.WriteStartArray();
                    foreach (var entry in access.Trace)
                    {
                        WriteTraceEntry(json, entry);
                    }

                    json.WriteEndArray();
                }

                break;
            case DumpResult dump:
                WriteDump(json, dump.Dump);
                break;
            case PeekResult peek:
                Hex(json, "u64", peek.Value);
                break;
            case CompletedResult:
                json.WritePropertyName("result");
                json.WriteValue("ok");
                break;
            case GeneralProtectionResult fault:
                json.WritePropertyName("result");
                json.WriteValue("gp");
                json.WritePropertyName("register");
                json.WriteValue(ExperimentRegisters.Name(fault.Register));
                json.WritePropertyName("error");
                json.WriteValue(fault.Error);
                break;
            default:
                throw new ArgumentException($"unknown step result {step.GetType().Name}", nameof(step));
        }

        json.WriteEndObject();
    }

    private static void WriteWalk(JsonWriter json, in WalkResult walk)
    {
        json.WritePropertyName("result");
        switch (walk.Outcome)
        {
            case WalkOutcome.Ok:
                json.WriteValue("ok");
                Hex(json, "gpa", walk.Gpa);
                break;
            case WalkOutcome.PageFault:
                json.WriteValue("page_fault");
                Hex(json, "error_code", (ulong)walk.ErrorCode);
                Hex(json, "cr2", walk.FaultAddress);
                break;
            case WalkOutcome.GeneralProtection:
                // A linear address the current paging mode cannot use: the CPU raises #GP(0), not #PF.
                json.WriteValue("gp");
                json.WritePropertyName("error");
                json.WriteValue($"{ExperimentNumbers.Hex(walk.FaultAddress)} is not canonical");
                break;
            default:
                // A fault of L1's EPT/NPT tables, reflected to L1 (KVM nested_ept_inject_page_fault /
                // nested_svm_inject_npf_exit).
                json.WriteValue("vm_exit");
                json.WritePropertyName("exit_reason");
                json.WriteValue(walk.ExitReason switch
                {
                    ExitReason.EptViolation => "EPT_VIOLATION",
                    ExitReason.EptMisconfig => "EPT_MISCONFIG",
                    ExitReason.Npf => "NPF",
                    var other => other.ToString(),
                });
                if (walk.ExitReason == ExitReason.Npf)
                {
                    Hex(json, "exit_info_1", walk.ExitInfo);
                    Hex(json, "exit_info_2", walk.FaultAddress);
                }
                else
                {
                    Hex(json, "qualification", walk.ExitInfo);
                }

                Hex(json, "gpa", walk.FaultAddress);
                Hex(json, "gva", walk.Gva);
                break;
        }
    }

    private static void WriteDump(JsonWriter json, Shadow.MmuDump dump)
    {
        json.WritePropertyName("mmu");
        json.WriteValue(dump.Mmu);
        Hex(json, "root_role", dump.RootRole);
        Hex(json, "root_pgd", dump.RootPgd);
        json.WritePropertyName("prev_roots");
        json.WriteValue(dump.PrevRoots);
        json.WritePropertyName("shadow_pages");
        json.WriteStartArray();
        foreach (var page in dump.ShadowPages)
        {
            json.WriteStartObject();
            Hex(json, "gfn", page.Gfn);
            json.WritePropertyName("level");
            json.WriteValue(page.Level);
            Hex(json, "role", page.Role);
            json.WritePropertyName("direct");
            json.WriteValue(page.Direct);
            json.WritePropertyName("unsync");
            json.WriteValue(page.Unsync);
            json.WritePropertyName("sptes");
            json.WriteStartArray();
            foreach (var spte in page.Sptes)
            {
                json.WriteStartObject();
                json.WritePropertyName("index");
                json.WriteValue(spte.Index);
                Hex(json, "spte", spte.Spte);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void WriteTraceEntry(JsonWriter json, in TraceEntry entry)
    {
        json.WriteStartObject();
        json.WritePropertyName("kind");
        json.WriteValue(entry.Kind switch
        {
            TraceKind.Read => "read",
            TraceKind.Write => "write",
            _ => "pdptr",
        });
        json.WritePropertyName("level");
        json.WriteValue(entry.Level);
        Hex(json, "gpa", entry.Gpa);
        Hex(json, "value", entry.Value);
        if (entry.Dimension != 0)
        {
            // Only 2-D (nested) walks have a second dimension; guest-only walks keep the short form.
            json.WritePropertyName("dimension");
            json.WriteValue(entry.Dimension);
        }

        json.WriteEndObject();
    }

    private static void Hex(JsonWriter json, string name, ulong value)
    {
        json.WritePropertyName(name);
        json.WriteValue(ExperimentNumbers.Hex(value));
    }
}
