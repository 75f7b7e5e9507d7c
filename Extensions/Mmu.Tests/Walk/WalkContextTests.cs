using Workbench.Mmu.Arch;
using Workbench.Mmu.Memory;
using Workbench.Mmu.Permissions;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Tests.Walk
{
    /// <summary>The walk context's inlined reserved-bit check must agree with PageFormat.IsReserved.</summary>
    public class WalkContextTests
    {
        public static IEnumerable<object[]> Roles()
        {
            foreach (ulong cr4 in new[] { 0UL, Cr4.PSE, Cr4.PAE, Cr4.PAE | Cr4.LA57 })
            {
                foreach (ulong efer in new[] { 0UL, Efer.NXE, Efer.LME | Efer.LMA, Efer.LME | Efer.LMA | Efer.NXE })
                {
                    if ((efer & Efer.LMA) != 0 && (cr4 & Cr4.PAE) == 0)
                    {
                        continue;
                    }

                    foreach (int maxPhyAddr in new[] { 36, 46, 52 })
                    {
                        yield return new object[] { cr4, efer, maxPhyAddr, true, false };
                        yield return new object[] { cr4, efer, maxPhyAddr, false, true };
                    }
                }
            }
        }

        [Theory]
        [MemberData(nameof(Roles))]
        public void The_snapshot_of_reserved_masks_answers_like_PageFormat(ulong cr4, ulong efer, int maxPhyAddr, bool gbPages, bool amd)
        {
            CpuRole role = CpuRole.Compute(new CpuRegisters(Cr0.PE | Cr0.PG, 0, cr4, efer, Rflags.Fixed1, 0));
            PageFormat format = PageFormat.ForGuest(role, maxPhyAddr, gbPages, amd);
            WalkContext context = new WalkContext(new GuestMemory(4096), format, 0, ReadOnlySpan<ulong>.Empty, 0, false, false);
            Random random = new Random(maxPhyAddr * 7 + (int)cr4);

            for (int i = 0; i < 20_000; i++)
            {
                // Single bits and random words, so every mask bit is hit alone and in combination.
                ulong gpte = i < 64 * 5 ? (1UL << (i / 5)) | 1 : (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63);
                int level = (i % 5) + 1;
                Assert.Equal(format.IsReserved(gpte, level), context.IsReserved(gpte, level));
            }
        }
    }
}
