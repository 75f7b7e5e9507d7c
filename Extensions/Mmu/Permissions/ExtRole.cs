using System.Text;

namespace Workbench.Mmu.Permissions
{
    /// <summary>
    /// KVM's <c>union kvm_mmu_extended_role</c>, 6.12 layout (arch/x86/include/asm/kvm_host.h): walk-only
    /// properties of the guest paging mode. They change how the guest tables are checked but not what a shadow
    /// page holds, so they live outside <see cref="PageRole"/> and do not multiply shadow pages.
    /// <code>
    ///  31       8   7    6    5    4    3    2     1      0
    /// +----------+----+----+----+----+----+----+--------+-----+
    /// |  unused  |lma |la57|smep|smap|pke |pse |execonly|valid|
    /// +----------+----+----+----+----+----+----+--------+-----+
    ///   valid    [0]  the role was computed (cleared to force a recomputation after KVM_SET_CPUID)
    ///   execonly [1]  EPT execute-only entries are allowed (nested EPT roles only)
    ///   pse      [2]  CR4.PSE
    ///   pke      [3]  CR4.PKE &amp;&amp; EFER.LMA (protection keys exist only in IA-32e paging)
    ///   smap     [4]  CR4.SMAP
    ///   smep     [5]  CR4.SMEP
    ///   la57     [6]  CR4.LA57 &amp;&amp; EFER.LMA
    ///   lma      [7]  EFER.LMA
    /// </code>
    /// </summary>
    /// <param name="Word">The raw 32-bit extended role word.</param>
    public readonly record struct ExtRole(uint Word)
    {
        internal const int ValidShift = 0;
        internal const int ExecOnlyShift = 1;
        internal const int Cr4PseShift = 2;
        internal const int Cr4PkeShift = 3;
        internal const int Cr4SmapShift = 4;
        internal const int Cr4SmepShift = 5;
        internal const int Cr4La57Shift = 6;
        internal const int EferLmaShift = 7;

        /// <summary>Every bit that 6.12 defines.</summary>
        internal const uint DefinedBits = 0xFF;

        /// <summary>valid (bit 0): the role holds a computed value.</summary>
        public bool Valid => GetBit(ValidShift);

        /// <summary>execonly (bit 1): EPT execute-only entries are legal (nested EPT).</summary>
        public bool ExecOnly => GetBit(ExecOnlyShift);

        /// <summary>cr4_pse (bit 2): CR4.PSE, 4 MiB pages in 32-bit paging.</summary>
        public bool Cr4Pse => GetBit(Cr4PseShift);

        /// <summary>cr4_pke (bit 3): CR4.PKE in long mode, protection keys are checked.</summary>
        public bool Cr4Pke => GetBit(Cr4PkeShift);

        /// <summary>cr4_smap (bit 4): CR4.SMAP.</summary>
        public bool Cr4Smap => GetBit(Cr4SmapShift);

        /// <summary>cr4_smep (bit 5): CR4.SMEP.</summary>
        public bool Cr4Smep => GetBit(Cr4SmepShift);

        /// <summary>cr4_la57 (bit 6): CR4.LA57 in long mode, 5-level paging.</summary>
        public bool Cr4La57 => GetBit(Cr4La57Shift);

        /// <summary>efer_lma (bit 7): EFER.LMA, IA-32e paging.</summary>
        public bool EferLma => GetBit(EferLmaShift);

        /// <summary>Returns the role with <see cref="Valid"/> replaced.</summary>
        public ExtRole WithValid(bool value) => WithBit(ValidShift, value);

        /// <summary>Returns the role with <see cref="ExecOnly"/> replaced.</summary>
        public ExtRole WithExecOnly(bool value) => WithBit(ExecOnlyShift, value);

        /// <summary>Returns the role with <see cref="Cr4Pse"/> replaced.</summary>
        public ExtRole WithCr4Pse(bool value) => WithBit(Cr4PseShift, value);

        /// <summary>Returns the role with <see cref="Cr4Pke"/> replaced.</summary>
        public ExtRole WithCr4Pke(bool value) => WithBit(Cr4PkeShift, value);

        /// <summary>Returns the role with <see cref="Cr4Smap"/> replaced.</summary>
        public ExtRole WithCr4Smap(bool value) => WithBit(Cr4SmapShift, value);

        /// <summary>Returns the role with <see cref="Cr4Smep"/> replaced.</summary>
        public ExtRole WithCr4Smep(bool value) => WithBit(Cr4SmepShift, value);

        /// <summary>Returns the role with <see cref="Cr4La57"/> replaced.</summary>
        public ExtRole WithCr4La57(bool value) => WithBit(Cr4La57Shift, value);

        /// <summary>Returns the role with <see cref="EferLma"/> replaced.</summary>
        public ExtRole WithEferLma(bool value) => WithBit(EferLmaShift, value);

        /// <summary>The word in hex followed by the bits that are set, e.g. <c>0x00000081 valid lma</c>.</summary>
        public override string ToString()
        {
            var text = new StringBuilder();
            text.Append("0x").Append(Word.ToString("x8"));
            PageRole.AppendFlag(text, Valid, "valid");
            PageRole.AppendFlag(text, ExecOnly, "execonly");
            PageRole.AppendFlag(text, Cr4Pse, "pse");
            PageRole.AppendFlag(text, Cr4Pke, "pke");
            PageRole.AppendFlag(text, Cr4Smap, "smap");
            PageRole.AppendFlag(text, Cr4Smep, "smep");
            PageRole.AppendFlag(text, Cr4La57, "la57");
            PageRole.AppendFlag(text, EferLma, "lma");
            return text.ToString();
        }

        private bool GetBit(int shift) => ((Word >> shift) & 1) != 0;

        private ExtRole WithBit(int shift, bool value) =>
            new ExtRole(value ? Word | (1u << shift) : Word & ~(1u << shift));
    }
}
