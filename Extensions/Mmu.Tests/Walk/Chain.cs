using Workbench.Mmu.Arch;
using Workbench.Mmu.Paging;

namespace Workbench.Mmu.Tests.Walk
{
    /// <summary>
    /// Writes a chain of paging entries where a walk of <c>gva</c> will find them: the first entry goes into the
    /// table at CR3 (PAE: the PDPT at CR3[31:5]), each next one into the table the previous entry points to.
    /// Shared by the unit tests and the walk-vector theory so that both describe tables the same way.
    /// </summary>
    internal static class Chain
    {
        /// <summary>Writes <paramref name="entries"/> (top level first) and returns the GPA of each.</summary>
        public static ulong[] Write(Vm vm, PagingMode mode, ulong cr3, ulong gva, params ulong[] entries)
        {
            ulong[] gpas = new ulong[entries.Length];
            int level = mode.RootLevel();
            ulong table = mode == PagingMode.Legacy32 ? cr3 & 0xFFFF_F000UL : cr3 & Pte64.AddressMask;
            for (int i = 0; i < entries.Length; i++, level--)
            {
                ulong gpa;
                if (mode == PagingMode.Pae && i == 0)
                {
                    gpa = (cr3 & ~0x1FUL) + (((gva >> 30) & 3) * 8);
                }
                else if (mode == PagingMode.Legacy32)
                {
                    gpa = table + (((gva >> (12 + (10 * (level - 1)))) & 0x3FF) * 4);
                }
                else
                {
                    gpa = table + (((gva >> (12 + (9 * (level - 1)))) & 0x1FF) * 8);
                }

                gpas[i] = gpa;
                if (mode == PagingMode.Legacy32)
                {
                    vm.Memory.TryWriteU32(gpa, (uint)entries[i]);
                    table = entries[i] & 0xFFFF_F000UL;
                }
                else
                {
                    vm.Memory.TryWriteU64(gpa, entries[i]);
                    table = entries[i] & Pte64.AddressMask;
                }
            }

            return gpas;
        }

        /// <summary>Reads the entries back (4 or 8 bytes each).</summary>
        public static ulong[] Read(Vm vm, PagingMode mode, ulong[] gpas)
        {
            ulong[] values = new ulong[gpas.Length];
            for (int i = 0; i < gpas.Length; i++)
            {
                if (mode == PagingMode.Legacy32)
                {
                    vm.Memory.TryReadU32(gpas[i], out uint v);
                    values[i] = v;
                }
                else
                {
                    vm.Memory.TryReadU64(gpas[i], out values[i]);
                }
            }

            return values;
        }

        /// <summary>Standard register sets per mode (CR0 = PE|PG|WP|ET, EFER.NXE where it exists).</summary>
        public static CpuRegisters Registers(PagingMode mode, ulong cr3, ulong extraCr4 = 0, ulong efer = Efer.NXE, ulong extraCr0 = Cr0.WP)
        {
            ulong cr0 = Cr0.PE | Cr0.ET | Cr0.PG | extraCr0;
            return mode switch
            {
                PagingMode.None => new CpuRegisters(Cr0.PE | Cr0.ET, 0, extraCr4, efer & ~(Efer.LME | Efer.LMA), Rflags.Fixed1, 0),
                PagingMode.Legacy32 => new CpuRegisters(cr0, cr3, Cr4.PSE | extraCr4, efer & ~(Efer.LME | Efer.LMA), Rflags.Fixed1, 0),
                PagingMode.Pae => new CpuRegisters(cr0, cr3, Cr4.PAE | extraCr4, efer & ~(Efer.LME | Efer.LMA), Rflags.Fixed1, 0),
                PagingMode.Long4 => new CpuRegisters(cr0, cr3, Cr4.PAE | extraCr4, efer | Efer.LME | Efer.LMA, Rflags.Fixed1, 0),
                _ => new CpuRegisters(cr0, cr3, Cr4.PAE | Cr4.LA57 | extraCr4, efer | Efer.LME | Efer.LMA, Rflags.Fixed1, 0),
            };
        }

        /// <summary>A VM whose vCPU is in <paramref name="mode"/> with the chain written and the state loaded.</summary>
        public static (Vm Vm, ulong[] Gpas) Setup(PagingMode mode, ulong gva, ulong[] entries, VmConfig? config = null,
            ulong cr3 = 0x1000, ulong extraCr4 = 0, ulong efer = Efer.NXE, ulong extraCr0 = Cr0.WP)
        {
            Vm vm = Vm.Create(config ?? new VmConfig());
            ulong[] gpas = Write(vm, mode, cr3, gva, entries);
            RegisterWrite load = vm.Vcpu.LoadState(Registers(mode, cr3, extraCr4, efer, extraCr0));
            Assert.True(load.Ok, load.Error);
            Assert.Equal(mode, vm.Vcpu.Mode);
            return (vm, gpas);
        }
    }
}
