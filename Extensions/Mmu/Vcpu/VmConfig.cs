namespace Workbench.Mmu
{
    /// <summary>CPU vendor of the modelled guest; selects vendor-specific reserved-bit and EFER rules.</summary>
    public enum Vendor
    {
        /// <summary>Intel (VMX). Bit 8 of PML4E/PML5E is ignored, EFER has no SVME/FFXSR.</summary>
        Intel = 0,

        /// <summary>AMD (SVM). Bit 8 of PML4E/PML5E is reserved (KVM <c>nl8</c> rule), EFER has SVME/FFXSR.</summary>
        Amd = 1,
    }

    /// <summary>Two-dimensional paging used by the host for this VM.</summary>
    public enum TdpMode
    {
        /// <summary>No TDP: shadow paging.</summary>
        None = 0,

        /// <summary>Intel extended page tables.</summary>
        Ept = 1,

        /// <summary>AMD nested page tables.</summary>
        Npt = 2,
    }

    /// <summary>Static configuration of a modelled VM (what KVM learns from CPUID and memslots).</summary>
    /// <param name="Vendor">Guest CPU vendor (CPUID vendor string).</param>
    /// <param name="MaxPhyAddr">Guest MAXPHYADDR, CPUID 0x80000008 EAX[7:0]: 36..52.</param>
    /// <param name="MemorySize">Bytes of guest physical memory starting at GPA 0 (one memslot).</param>
    /// <param name="Tdp">Host two-dimensional paging mode.</param>
    /// <param name="GbPages">CPUID 0x80000001 EDX.Page1GB: 1 GiB pages allowed (otherwise PS at level 3 is reserved).</param>
    public sealed record VmConfig(
        Vendor Vendor = Vendor.Intel,
        int MaxPhyAddr = 46,
        ulong MemorySize = 64UL << 20,
        TdpMode Tdp = TdpMode.None,
        bool GbPages = true)
    {
        /// <summary>
        /// Smallest MAXPHYADDR the model accepts: 36, the minimum on any CPU with PAE (SDM 4.1.4), which PSE-36's
        /// 36-bit 4 MiB pages also assume.
        /// </summary>
        public const int MinMaxPhyAddr = 36;

        /// <summary>Largest MAXPHYADDR (SDM 4.1.4).</summary>
        public const int MaxMaxPhyAddr = 52;

        /// <summary>
        /// Checks the configuration — the one place VM limits live (experiment files, notebooks and
        /// <see cref="Vm.Create"/> all ask here): MAXPHYADDR within [36, 52]; memory a non-zero multiple of 4 KiB, at
        /// most the model's 64 TiB, below 2^MAXPHYADDR; EPT only on Intel, NPT only on AMD. Returns null when valid,
        /// else the problem with the field it concerns (named as in experiment files: <c>maxphyaddr</c>,
        /// <c>memory</c>, <c>tdp</c>).
        /// </summary>
        public VmConfigProblem? Check()
        {
            if (MaxPhyAddr < MinMaxPhyAddr || MaxPhyAddr > MaxMaxPhyAddr)
            {
                return new("maxphyaddr", $"{MaxPhyAddr} is out of range ({MinMaxPhyAddr}..{MaxMaxPhyAddr})");
            }

            string size = Workbench.Mmu.Memory.MemorySize.Format(MemorySize);
            if (MemorySize == 0 || (MemorySize & 0xFFF) != 0)
            {
                return new("memory", $"{size} is not a positive multiple of 4K");
            }

            if (MemorySize > Workbench.Mmu.Memory.GuestMemory.MaxSize)
            {
                return new("memory", $"{size} is more than the model's limit of 64T");
            }

            if (MemorySize > (1UL << MaxPhyAddr))
            {
                return new("memory", $"{size} is more than MAXPHYADDR {MaxPhyAddr} can address "
                    + $"({Workbench.Mmu.Memory.MemorySize.Format(1UL << MaxPhyAddr)})");
            }

            if (Tdp == TdpMode.Ept && Vendor != Vendor.Intel)
            {
                return new("tdp", "ept needs vendor intel (AMD hosts use npt)");
            }

            if (Tdp == TdpMode.Npt && Vendor != Vendor.Amd)
            {
                return new("tdp", "npt needs vendor amd (Intel hosts use ept)");
            }

            return null;
        }

        /// <summary><see cref="Check"/> as one message, <c>"memory: 128T is more than …"</c>; null when valid.</summary>
        public string? Validate() => Check()?.ToString();
    }

    /// <summary>Why a <see cref="VmConfig"/> is invalid.</summary>
    /// <param name="Field">The field, named as in experiment files (<c>maxphyaddr</c>, <c>memory</c>, <c>tdp</c>).</param>
    /// <param name="Message">What is wrong with it.</param>
    public sealed record VmConfigProblem(string Field, string Message)
    {
        /// <inheritdoc/>
        public override string ToString() => $"{Field}: {Message}";
    }

    /// <summary>
    /// Outcome of a register write (MOV to CR, WRMSR, state load): ok, or the #GP the instruction would raise
    /// with a reason that names the register (<c>"cr4: reserved bit 23 set"</c>).
    /// </summary>
    /// <param name="Ok">The write took effect.</param>
    /// <param name="Error">Why it did not (null when <paramref name="Ok"/>).</param>
    public readonly record struct RegisterWrite(bool Ok, string? Error)
    {
        /// <summary>A successful write.</summary>
        public static RegisterWrite Success => new RegisterWrite(true, null);

        /// <summary>A failed write (#GP) with its reason.</summary>
        public static RegisterWrite Fail(string error) => new RegisterWrite(false, error);

        /// <inheritdoc/>
        public override string ToString() => Ok ? "ok" : "#GP: " + Error;
    }
}
