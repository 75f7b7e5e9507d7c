using Workbench.Mmu.Arch;

namespace Workbench.Mmu.Walk
{
    /// <summary>Kind of a linear-address access.</summary>
    public enum AccessKind
    {
        /// <summary>Data read.</summary>
        Read = 0,

        /// <summary>Data write.</summary>
        Write = 1,

        /// <summary>Instruction fetch.</summary>
        Fetch = 2,
    }

    /// <summary>Turns an access description into the PFERR-style access mask the walker takes.</summary>
    public static class WalkAccess
    {
        /// <summary>
        /// The emulator's access mask (KVM x86.c <c>kvm_read_guest_virt</c>, <c>kvm_fetch_guest_virt</c>,
        /// <c>kvm_write_guest_virt_system</c>; spec 4.1): U if CPL == 3 and the access is explicit; W for writes;
        /// F for fetches; <see cref="PfErr.ImplicitAccess"/> for implicit supervisor accesses (descriptor tables,
        /// which SMAP checks even with RFLAGS.AC = 1).
        /// </summary>
        /// <param name="kind">Read, write or fetch.</param>
        /// <param name="cpl">Current privilege level 0..3 (callers check it; <see cref="Vcpu.Access"/> throws for others).</param>
        /// <param name="implicitAccess">Implicit supervisor access (ignores CPL).</param>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public static ulong AccessPfec(this AccessKind kind, int cpl, bool implicitAccess)
        {
            // Branch-free on the access kind and the CPL, which change from one access to the next: one byte per
            // kind (Read 0, Write W, Fetch F) looked up by shifting; other values give 0 as the switch this replaces.
            const ulong PfecOfKind = ((ulong)PfErr.Write << 8) | ((ulong)PfErr.Fetch << 16);
            ulong pfec = (uint)kind <= (uint)AccessKind.Fetch ? (PfecOfKind >> ((int)kind * 8)) & 0xFF : 0;

            if (implicitAccess)
            {
                pfec |= (ulong)PfErr.ImplicitAccess;
            }
            else
            {
                // U without a branch: the JIT compiled "cpl == 3 ? U : 0" into a jump, which a mix of user and supervisor
                // accesses mispredicted on about every other access. For CPL 0..3, CPL + 1 has bit 2 (U) set only for 3.
                pfec |= (ulong)(uint)(cpl + 1) & (ulong)PfErr.User;
            }

            return pfec;
        }
    }
}
