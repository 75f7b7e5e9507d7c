using Workbench.Mmu.Arch;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Tests.Walk
{
    /// <summary><see cref="WalkAccess.AccessPfec"/>, exhaustively over its valid inputs, against the rule written plainly.</summary>
    public class AccessKindTests
    {
        public static IEnumerable<object[]> Inputs()
        {
            // The three kinds, and values outside the enum (they read, as the switch the lookup replaced did).
            int[] kinds = { 0, 1, 2, 3, 7, 8, 100, -1 };
            foreach (int kind in kinds)
            {
                for (int cpl = 0; cpl <= 3; cpl++)
                {
                    yield return new object[] { kind, cpl, false };
                    yield return new object[] { kind, cpl, true };
                }
            }
        }

        [Theory]
        [MemberData(nameof(Inputs))]
        public void The_access_mask_is_KVMs_emulator_mask(int kind, int cpl, bool implicitAccess)
        {
            // KVM x86.c: W for writes, F for fetches; U when CPL 3 and explicit; implicit supervisor accesses are
            // marked so that SMAP checks them whatever RFLAGS.AC is.
            PfErr expected = (AccessKind)kind switch
            {
                AccessKind.Write => PfErr.Write,
                AccessKind.Fetch => PfErr.Fetch,
                _ => PfErr.None,
            };
            expected |= implicitAccess ? PfErr.ImplicitAccess : cpl == 3 ? PfErr.User : PfErr.None;

            Assert.Equal((ulong)expected, ((AccessKind)kind).AccessPfec(cpl, implicitAccess));
        }
    }
}
