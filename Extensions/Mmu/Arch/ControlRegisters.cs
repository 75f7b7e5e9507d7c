namespace Workbench.Mmu.Arch
{
    /// <summary>
    /// CR0 bits (SDM Vol. 3A 2.5 "Control Registers").
    /// <code>
    ///  31 30 29 28      19 18 17 16 15        6  5  4  3  2  1  0
    /// +--+--+--+----------+--+--+--+-----------+--+--+--+--+--+--+
    /// |PG|CD|NW|          |AM|  |WP|           |NE|ET|TS|EM|MP|PE|
    /// +--+--+--+----------+--+--+--+-----------+--+--+--+--+--+--+
    /// </code>
    /// Bits 63:32 are reserved (MOV to CR0 with any of them set raises #GP).
    /// </summary>
    public static class Cr0
    {
        /// <summary>Protection enable (bit 0).</summary>
        public const ulong PE = 1UL << 0;
        /// <summary>Monitor coprocessor (bit 1).</summary>
        public const ulong MP = 1UL << 1;
        /// <summary>Emulation (bit 2).</summary>
        public const ulong EM = 1UL << 2;
        /// <summary>Task switched (bit 3).</summary>
        public const ulong TS = 1UL << 3;
        /// <summary>Extension type (bit 4, hardwired to 1 on modern CPUs).</summary>
        public const ulong ET = 1UL << 4;
        /// <summary>Numeric error (bit 5).</summary>
        public const ulong NE = 1UL << 5;
        /// <summary>Write protect: supervisor writes honour R/W=0 (bit 16).</summary>
        public const ulong WP = 1UL << 16;
        /// <summary>Alignment mask (bit 18).</summary>
        public const ulong AM = 1UL << 18;
        /// <summary>Not write-through (bit 29).</summary>
        public const ulong NW = 1UL << 29;
        /// <summary>Cache disable (bit 30).</summary>
        public const ulong CD = 1UL << 30;
        /// <summary>Paging (bit 31).</summary>
        public const ulong PG = 1UL << 31;

        /// <summary>Bits 63:32, reserved (KVM x86.c kvm_is_valid_cr0: <c>cr0 &amp; 0xffffffff00000000</c>).</summary>
        public const ulong ReservedHigh = 0xFFFF_FFFF_0000_0000UL;
    }

    /// <summary>
    /// CR4 bits (SDM Vol. 3A 2.5; KVM x86.h CR4_RESERVED_BITS).
    /// <code>
    ///  25  24  23  22  21   20   19  18     17    16     14   13   12  11   10     9       8   7   6   5   4  3  2   1   0
    /// PKS CET PKE SMAP SMEP  -  OSXS  -  PCIDE FSGSB SMXE VMXE LA57 UMIP OSXMM OSFXSR PCE PGE MCE PAE PSE DE TSD PVI VME
    /// </code>
    /// </summary>
    public static class Cr4
    {
        /// <summary>Virtual-8086 mode extensions (bit 0).</summary>
        public const ulong VME = 1UL << 0;
        /// <summary>Protected-mode virtual interrupts (bit 1).</summary>
        public const ulong PVI = 1UL << 1;
        /// <summary>Time stamp disable (bit 2).</summary>
        public const ulong TSD = 1UL << 2;
        /// <summary>Debugging extensions (bit 3).</summary>
        public const ulong DE = 1UL << 3;
        /// <summary>Page size extensions: 4 MiB pages in 32-bit paging (bit 4).</summary>
        public const ulong PSE = 1UL << 4;
        /// <summary>Physical address extension (bit 5).</summary>
        public const ulong PAE = 1UL << 5;
        /// <summary>Machine-check enable (bit 6).</summary>
        public const ulong MCE = 1UL << 6;
        /// <summary>Page global enable (bit 7).</summary>
        public const ulong PGE = 1UL << 7;
        /// <summary>Performance-monitoring counter enable (bit 8).</summary>
        public const ulong PCE = 1UL << 8;
        /// <summary>OS support for FXSAVE/FXRSTOR (bit 9).</summary>
        public const ulong OSFXSR = 1UL << 9;
        /// <summary>OS support for unmasked SIMD exceptions (bit 10).</summary>
        public const ulong OSXMMEXCPT = 1UL << 10;
        /// <summary>User-mode instruction prevention (bit 11).</summary>
        public const ulong UMIP = 1UL << 11;
        /// <summary>57-bit linear addresses, 5-level paging (bit 12).</summary>
        public const ulong LA57 = 1UL << 12;
        /// <summary>VMX enable (bit 13).</summary>
        public const ulong VMXE = 1UL << 13;
        /// <summary>SMX enable (bit 14).</summary>
        public const ulong SMXE = 1UL << 14;
        /// <summary>FSGSBASE instructions enable (bit 16).</summary>
        public const ulong FSGSBASE = 1UL << 16;
        /// <summary>Process-context identifiers (bit 17).</summary>
        public const ulong PCIDE = 1UL << 17;
        /// <summary>XSAVE and processor extended states enable (bit 18).</summary>
        public const ulong OSXSAVE = 1UL << 18;
        /// <summary>Supervisor-mode execution prevention (bit 20).</summary>
        public const ulong SMEP = 1UL << 20;
        /// <summary>Supervisor-mode access prevention (bit 21).</summary>
        public const ulong SMAP = 1UL << 21;
        /// <summary>Protection keys for user pages (bit 22).</summary>
        public const ulong PKE = 1UL << 22;
        /// <summary>Control-flow enforcement technology (bit 23).</summary>
        public const ulong CET = 1UL << 23;
        /// <summary>Protection keys for supervisor pages (bit 24).</summary>
        public const ulong PKS = 1UL << 24;

        /// <summary>
        /// Every bit this model knows; anything else is reserved (KVM x86.h <c>__cr4_reserved_bits</c> base set,
        /// before CPUID filtering).
        /// </summary>
        public const ulong Known = VME | PVI | TSD | DE | PSE | PAE | MCE | PGE | PCE | OSFXSR | OSXMMEXCPT | UMIP
            | LA57 | VMXE | SMXE | FSGSBASE | PCIDE | OSXSAVE | SMEP | SMAP | PKE | CET | PKS;

        /// <summary>Bits whose change requires a TLB flush / MMU role reset (KVM x86.h KVM_MMU_CR4_ROLE_BITS).</summary>
        public const ulong MmuRoleBits = PSE | PAE | PGE | LA57 | SMEP | SMAP | PKE;
    }

    /// <summary>
    /// IA32_EFER MSR (0xC0000080) bits (SDM Vol. 3A 2.2.1; AMD APM 3.1.7).
    /// <code>
    ///    21     15    14     13    12   11  10  9  8   7..1   0
    /// AUTOIBRS TCE FFXSR LMSLE  SVME  NXE LMA  -  LME   -    SCE
    /// </code>
    /// </summary>
    public static class Efer
    {
        /// <summary>MSR index of IA32_EFER.</summary>
        public const uint Msr = 0xC000_0080;
        /// <summary>SYSCALL enable (bit 0).</summary>
        public const ulong SCE = 1UL << 0;
        /// <summary>Long mode enable (bit 8).</summary>
        public const ulong LME = 1UL << 8;
        /// <summary>Long mode active (bit 10): set by the CPU when CR0.PG is set with LME.</summary>
        public const ulong LMA = 1UL << 10;
        /// <summary>No-execute enable (bit 11): makes PTE bit 63 the XD bit.</summary>
        public const ulong NXE = 1UL << 11;
        /// <summary>Secure virtual machine enable (bit 12, AMD).</summary>
        public const ulong SVME = 1UL << 12;
        /// <summary>Long mode segment limit enable (bit 13, AMD).</summary>
        public const ulong LMSLE = 1UL << 13;
        /// <summary>Fast FXSAVE/FXRSTOR (bit 14, AMD).</summary>
        public const ulong FFXSR = 1UL << 14;
        /// <summary>Translation cache extension (bit 15, AMD; KVM does not expose it, so it is reserved here).</summary>
        public const ulong TCE = 1UL << 15;
        /// <summary>Automatic IBRS (bit 21, AMD).</summary>
        public const ulong AUTOIBRS = 1UL << 21;

        /// <summary>
        /// Bits valid on Intel: KVM x86.c <c>efer_reserved_bits = ~EFER_SCE</c>, then <c>kvm_enable_efer_bits</c> for
        /// LME|LMA (x86-64) and NX (vmx_hardware_setup).
        /// </summary>
        public const ulong KnownIntel = SCE | LME | LMA | NXE;
        /// <summary>
        /// Bits valid on AMD: Intel's plus what svm_hardware_setup enables: SVME|LMSLE (nested), FFXSR, AUTOIBRS.
        /// </summary>
        public const ulong KnownAmd = KnownIntel | SVME | LMSLE | FFXSR | AUTOIBRS;
    }

    /// <summary>
    /// RFLAGS bits (SDM Vol. 1 3.4.3).
    /// <code>
    ///  21  20  19  18 17 16 15 14 13-12 11 10  9  8  7  6  5  4  3  2  1  0
    ///  ID VIP VIF  AC VM RF  - NT IOPL  OF DF IF TF SF ZF  0 AF  0 PF  1 CF
    /// </code>
    /// </summary>
    public static class Rflags
    {
        /// <summary>Carry flag (bit 0).</summary>
        public const ulong CF = 1UL << 0;
        /// <summary>Bit 1, always reads as 1.</summary>
        public const ulong Fixed1 = 1UL << 1;
        /// <summary>Parity flag (bit 2).</summary>
        public const ulong PF = 1UL << 2;
        /// <summary>Auxiliary carry flag (bit 4).</summary>
        public const ulong AF = 1UL << 4;
        /// <summary>Zero flag (bit 6).</summary>
        public const ulong ZF = 1UL << 6;
        /// <summary>Sign flag (bit 7).</summary>
        public const ulong SF = 1UL << 7;
        /// <summary>Trap flag (bit 8).</summary>
        public const ulong TF = 1UL << 8;
        /// <summary>Interrupt enable flag (bit 9).</summary>
        public const ulong IF = 1UL << 9;
        /// <summary>Direction flag (bit 10).</summary>
        public const ulong DF = 1UL << 10;
        /// <summary>Overflow flag (bit 11).</summary>
        public const ulong OF = 1UL << 11;
        /// <summary>I/O privilege level (bits 13:12).</summary>
        public const ulong IOPL = 3UL << 12;
        /// <summary>Nested task (bit 14).</summary>
        public const ulong NT = 1UL << 14;
        /// <summary>Resume flag (bit 16).</summary>
        public const ulong RF = 1UL << 16;
        /// <summary>Virtual-8086 mode (bit 17).</summary>
        public const ulong VM = 1UL << 17;
        /// <summary>Alignment check / SMAP override (bit 18): with CR4.SMAP, AC=1 lets supervisor code touch user pages.</summary>
        public const ulong AC = 1UL << 18;
        /// <summary>Virtual interrupt flag (bit 19).</summary>
        public const ulong VIF = 1UL << 19;
        /// <summary>Virtual interrupt pending (bit 20).</summary>
        public const ulong VIP = 1UL << 20;
        /// <summary>CPUID identification (bit 21).</summary>
        public const ulong ID = 1UL << 21;

        /// <summary>Every architecturally defined bit; writable bits plus the fixed bit 1.</summary>
        public const ulong Known = CF | Fixed1 | PF | AF | ZF | SF | TF | IF | DF | OF | IOPL | NT | RF | VM | AC | VIF | VIP | ID;
    }
}
