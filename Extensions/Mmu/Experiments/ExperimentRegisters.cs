using Workbench.Mmu.Arch;

namespace Workbench.Mmu.Experiments;

/// <summary>Register names as the format spells them, and access to <see cref="CpuRegisters"/> by name.</summary>
public static class ExperimentRegisters
{
    /// <summary>Every register in the canonical order of <c>"vcpu"</c>.</summary>
    public static IReadOnlyList<VcpuRegister> All { get; } =
        [VcpuRegister.Cr0, VcpuRegister.Cr3, VcpuRegister.Cr4, VcpuRegister.Efer, VcpuRegister.Rflags, VcpuRegister.Pkru];

    /// <summary>The JSON key of <paramref name="register"/> (<c>cr0</c>, ..., <c>pkru</c>).</summary>
    public static string Name(VcpuRegister register) => register switch
    {
        VcpuRegister.Cr0 => "cr0",
        VcpuRegister.Cr3 => "cr3",
        VcpuRegister.Cr4 => "cr4",
        VcpuRegister.Efer => "efer",
        VcpuRegister.Rflags => "rflags",
        VcpuRegister.Pkru => "pkru",
        _ => ((int)register).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Looks a JSON key up (exact, lowercase).</summary>
    public static bool TryParse(string name, out VcpuRegister register)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(Name(candidate), name, StringComparison.Ordinal))
            {
                register = candidate;
                return true;
            }
        }

        register = default;
        return false;
    }

    /// <summary>The value of <paramref name="register"/> in <paramref name="registers"/>.</summary>
    public static ulong Get(in CpuRegisters registers, VcpuRegister register) => register switch
    {
        VcpuRegister.Cr0 => registers.Cr0,
        VcpuRegister.Cr3 => registers.Cr3,
        VcpuRegister.Cr4 => registers.Cr4,
        VcpuRegister.Efer => registers.Efer,
        VcpuRegister.Rflags => registers.Rflags,
        VcpuRegister.Pkru => registers.Pkru,
        _ => throw new ArgumentOutOfRangeException(nameof(register)),
    };

    /// <summary>A copy of <paramref name="registers"/> with <paramref name="register"/> replaced (PKRU truncated to 32 bits).</summary>
    public static CpuRegisters With(in CpuRegisters registers, VcpuRegister register, ulong value) => register switch
    {
        VcpuRegister.Cr0 => registers with { Cr0 = value },
        VcpuRegister.Cr3 => registers with { Cr3 = value },
        VcpuRegister.Cr4 => registers with { Cr4 = value },
        VcpuRegister.Efer => registers with { Efer = value },
        VcpuRegister.Rflags => registers with { Rflags = value },
        VcpuRegister.Pkru => registers with { Pkru = (uint)value },
        _ => throw new ArgumentOutOfRangeException(nameof(register)),
    };
}
