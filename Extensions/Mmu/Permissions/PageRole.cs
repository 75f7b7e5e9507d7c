using System.Text;
using Workbench.Mmu.Arch;

namespace Workbench.Mmu.Permissions
{
    /// <summary>
    /// KVM's <c>union kvm_mmu_page_role</c>, 6.12 layout (arch/x86/include/asm/kvm_host.h): the 32-bit word that
    /// says what a shadow page (or, as the base of a <see cref="CpuRole"/>, the guest paging mode) is. Two shadow
    /// pages are interchangeable only if their whole words are equal.
    /// <code>
    ///  31         24 23    19  18  17  16  15  14  13  12  11  10    8   7   6   5   4   3     0
    /// +-------------+--------+---+---+---+---+---+---+---+---+--------+---+-------+---+--------+
    /// |     smm     | unused |pt |gm |ad |sap|sep|wp |nx |inv| access |dir|quadrnt|4B |  level |
    /// +-------------+--------+---+---+---+---+---+---+---+---+--------+---+-------+---+--------+
    ///   level   [3:0]   table level 1..5; for a CPU role the guest root level, 0 when paging is off
    ///   4B      [4]     has_4_byte_gpte: 32-bit (non-PAE) guest entries
    ///   quadrnt [6:5]   which part of a 32-bit guest table a PAE shadow page covers
    ///   dir     [7]     direct: no guest table behind the page
    ///   access  [10:8]  effective ACC bits of the parent entries (<see cref="Acc"/>)
    ///   inv     [11]    invalid: zapped root still referenced
    ///   nx      [12]    efer_nx
    ///   wp      [13]    cr0_wp
    ///   sep     [14]    smep_andnot_wp = CR4.SMEP &amp;&amp; !CR0.WP
    ///   sap     [15]    smap_andnot_wp = CR4.SMAP &amp;&amp; !CR0.WP
    ///   ad      [16]    ad_disabled: the MMU cannot use accessed/dirty bits
    ///   gm      [17]    guest_mode: built for L2
    ///   pt      [18]    passthrough: no table behind it, entry 0 points to one (5-level host over 4-level NPT)
    ///   smm     [31:24] address-space id (0 normal, 1 SMM)
    /// </code>
    /// </summary>
    /// <param name="Word">The raw 32-bit role word.</param>
    public readonly record struct PageRole(uint Word)
    {
        internal const int LevelShift = 0;
        internal const uint LevelMask = 0xFu << LevelShift;
        internal const int Has4ByteGpteShift = 4;
        internal const int QuadrantShift = 5;
        internal const uint QuadrantMask = 0x3u << QuadrantShift;
        internal const int DirectShift = 7;
        internal const int AccessShift = 8;
        internal const uint AccessMask = 0x7u << AccessShift;
        internal const int InvalidShift = 11;
        internal const int EferNxShift = 12;
        internal const int Cr0WpShift = 13;
        internal const int SmepAndNotWpShift = 14;
        internal const int SmapAndNotWpShift = 15;
        internal const int AdDisabledShift = 16;
        internal const int GuestModeShift = 17;
        internal const int PassthroughShift = 18;
        internal const int SmmShift = 24;
        internal const uint SmmMask = 0xFFu << SmmShift;

        /// <summary>Every bit that 6.12 defines; bits 19..23 are unused.</summary>
        internal const uint DefinedBits = LevelMask | (1u << Has4ByteGpteShift) | QuadrantMask | (1u << DirectShift)
            | AccessMask | (1u << InvalidShift) | (1u << EferNxShift) | (1u << Cr0WpShift) | (1u << SmepAndNotWpShift)
            | (1u << SmapAndNotWpShift) | (1u << AdDisabledShift) | (1u << GuestModeShift) | (1u << PassthroughShift)
            | SmmMask;

        /// <summary>Table level (bits 3:0): 1 = 4 KiB table … 5 = PML5; 0 in a CPU role means paging is off.</summary>
        public int Level => (int)((Word & LevelMask) >> LevelShift);

        /// <summary>has_4_byte_gpte (bit 4): the guest uses 32-bit, non-PAE entries.</summary>
        public bool Has4ByteGpte => GetBit(Has4ByteGpteShift);

        /// <summary>quadrant (bits 6:5): which quarter/half of a 32-bit guest table a PAE shadow page covers.</summary>
        public int Quadrant => (int)((Word & QuadrantMask) >> QuadrantShift);

        /// <summary>direct (bit 7): the page maps a linear GPA range, no guest table is shadowed.</summary>
        public bool Direct => GetBit(DirectShift);

        /// <summary>access (bits 10:8): effective ACC bits inherited from the parent entries.</summary>
        public Acc Access => (Acc)((Word & AccessMask) >> AccessShift);

        /// <summary>invalid (bit 11): a zapped or obsolete root that is still referenced.</summary>
        public bool Invalid => GetBit(InvalidShift);

        /// <summary>efer_nx (bit 12): EFER.NXE, PTE bit 63 is the XD bit.</summary>
        public bool EferNx => GetBit(EferNxShift);

        /// <summary>cr0_wp (bit 13): CR0.WP, supervisor writes honour R/W.</summary>
        public bool Cr0Wp => GetBit(Cr0WpShift);

        /// <summary>smep_andnot_wp (bit 14): CR4.SMEP and not CR0.WP (shadow paging needs a separate page).</summary>
        public bool SmepAndNotWp => GetBit(SmepAndNotWpShift);

        /// <summary>smap_andnot_wp (bit 15): CR4.SMAP and not CR0.WP.</summary>
        public bool SmapAndNotWp => GetBit(SmapAndNotWpShift);

        /// <summary>ad_disabled (bit 16): the MMU cannot use accessed/dirty bits.</summary>
        public bool AdDisabled => GetBit(AdDisabledShift);

        /// <summary>guest_mode (bit 17): the page was built while running L2.</summary>
        public bool GuestMode => GetBit(GuestModeShift);

        /// <summary>passthrough (bit 18): no guest table behind it, but its entry 0 points to one.</summary>
        public bool Passthrough => GetBit(PassthroughShift);

        /// <summary>smm (bits 31:24): address-space id, 0 = normal, 1 = SMM.</summary>
        public int Smm => (int)((Word & SmmMask) >> SmmShift);

        /// <summary>Returns the role with <see cref="Level"/> replaced (0..15).</summary>
        public PageRole WithLevel(int level)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(level);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(level, (int)(LevelMask >> LevelShift));
            return new PageRole((Word & ~LevelMask) | ((uint)level << LevelShift));
        }

        /// <summary>Returns the role with <see cref="Has4ByteGpte"/> replaced.</summary>
        public PageRole WithHas4ByteGpte(bool value) => WithBit(Has4ByteGpteShift, value);

        /// <summary>Returns the role with <see cref="Quadrant"/> replaced (0..3).</summary>
        public PageRole WithQuadrant(int quadrant)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(quadrant);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(quadrant, (int)(QuadrantMask >> QuadrantShift));
            return new PageRole((Word & ~QuadrantMask) | ((uint)quadrant << QuadrantShift));
        }

        /// <summary>Returns the role with <see cref="Direct"/> replaced.</summary>
        public PageRole WithDirect(bool value) => WithBit(DirectShift, value);

        /// <summary>Returns the role with <see cref="Access"/> replaced (only <see cref="Acc.All"/> bits).</summary>
        public PageRole WithAccess(Acc access)
        {
            ArgumentOutOfRangeException.ThrowIfNotEqual((uint)(access & ~Acc.All), 0u, nameof(access));
            return new PageRole((Word & ~AccessMask) | ((uint)access << AccessShift));
        }

        /// <summary>Returns the role with <see cref="Invalid"/> replaced.</summary>
        public PageRole WithInvalid(bool value) => WithBit(InvalidShift, value);

        /// <summary>Returns the role with <see cref="EferNx"/> replaced.</summary>
        public PageRole WithEferNx(bool value) => WithBit(EferNxShift, value);

        /// <summary>Returns the role with <see cref="Cr0Wp"/> replaced.</summary>
        public PageRole WithCr0Wp(bool value) => WithBit(Cr0WpShift, value);

        /// <summary>Returns the role with <see cref="SmepAndNotWp"/> replaced.</summary>
        public PageRole WithSmepAndNotWp(bool value) => WithBit(SmepAndNotWpShift, value);

        /// <summary>Returns the role with <see cref="SmapAndNotWp"/> replaced.</summary>
        public PageRole WithSmapAndNotWp(bool value) => WithBit(SmapAndNotWpShift, value);

        /// <summary>Returns the role with <see cref="AdDisabled"/> replaced.</summary>
        public PageRole WithAdDisabled(bool value) => WithBit(AdDisabledShift, value);

        /// <summary>Returns the role with <see cref="GuestMode"/> replaced.</summary>
        public PageRole WithGuestMode(bool value) => WithBit(GuestModeShift, value);

        /// <summary>Returns the role with <see cref="Passthrough"/> replaced.</summary>
        public PageRole WithPassthrough(bool value) => WithBit(PassthroughShift, value);

        /// <summary>Returns the role with <see cref="Smm"/> replaced (0..255).</summary>
        public PageRole WithSmm(int smm)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(smm);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(smm, (int)(SmmMask >> SmmShift));
            return new PageRole((Word & ~SmmMask) | ((uint)smm << SmmShift));
        }

        /// <summary>The word in hex followed by the fields that are set, e.g. <c>0x00003704 level=4 access=7 nx wp</c>.</summary>
        public override string ToString()
        {
            var text = new StringBuilder();
            text.Append("0x").Append(Word.ToString("x8")).Append(" level=").Append(Level);
            AppendFlag(text, Has4ByteGpte, "4byte");
            if (Quadrant != 0)
            {
                text.Append(" quadrant=").Append(Quadrant);
            }

            AppendFlag(text, Direct, "direct");
            text.Append(" access=").Append((int)Access);
            AppendFlag(text, Invalid, "invalid");
            AppendFlag(text, EferNx, "nx");
            AppendFlag(text, Cr0Wp, "wp");
            AppendFlag(text, SmepAndNotWp, "smep_andnot_wp");
            AppendFlag(text, SmapAndNotWp, "smap_andnot_wp");
            AppendFlag(text, AdDisabled, "ad_disabled");
            AppendFlag(text, GuestMode, "guest_mode");
            AppendFlag(text, Passthrough, "passthrough");
            if (Smm != 0)
            {
                text.Append(" smm=").Append(Smm);
            }

            return text.ToString();
        }

        internal static void AppendFlag(StringBuilder text, bool value, string name)
        {
            if (value)
            {
                text.Append(' ').Append(name);
            }
        }

        private bool GetBit(int shift) => ((Word >> shift) & 1) != 0;

        private PageRole WithBit(int shift, bool value) =>
            new PageRole(value ? Word | (1u << shift) : Word & ~(1u << shift));
    }
}
