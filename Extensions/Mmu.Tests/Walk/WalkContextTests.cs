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

        public static IEnumerable<object[]> PermissionRoles()
        {
            foreach (ulong cr0 in new[] { Cr0.PE | Cr0.PG, Cr0.PE | Cr0.PG | Cr0.WP })
            {
                foreach (ulong cr4 in new[] { Cr4.PAE, Cr4.PAE | Cr4.SMEP | Cr4.SMAP, Cr4.PAE | Cr4.PKE, Cr4.PAE | Cr4.SMEP | Cr4.SMAP | Cr4.PKE })
                {
                    foreach (ulong efer in new[] { Efer.LME | Efer.LMA, Efer.LME | Efer.LMA | Efer.NXE })
                    {
                        yield return new object[] { cr0, cr4, efer };
                    }
                }
            }
        }

        [Theory]
        [MemberData(nameof(PermissionRoles))]
        public void The_snapshot_of_the_permission_table_answers_like_PageFormat(ulong cr0, ulong cr4, ulong efer)
        {
            CpuRole role = CpuRole.Compute(new CpuRegisters(cr0, 0, cr4, efer, Rflags.Fixed1, 0));
            PageFormat format = PageFormat.ForGuest(role, 46, true, false);
            WalkContext context = new WalkContext(new GuestMemory(4096), format, 0, ReadOnlySpan<ulong>.Empty, 0, false, true);
            Assert.Equal((cr4 & Cr4.PKE) != 0, format.PkruMask != 0);
            ulong[] requests = [0, (ulong)PfErr.Write, (ulong)PfErr.User, (ulong)(PfErr.User | PfErr.Write), (ulong)PfErr.Fetch,
                (ulong)(PfErr.User | PfErr.Fetch), (ulong)PfErr.ImplicitAccess, (ulong)(PfErr.ImplicitAccess | PfErr.Write)];
            for (int acc = 0; acc < 8; acc++)
            {
                foreach (ulong pfec in requests)
                {
                    foreach (ulong rflags in new[] { Rflags.Fixed1, Rflags.Fixed1 | Rflags.AC })
                    {
                        for (uint pkey = 0; pkey < 16; pkey++)
                        {
                            // PKRU with AD and WD varying over the keys (and 0 for key 0 every fourth time).
                            uint pkru = 0x5A5A_6C93u ^ (pkey * 0x1111_1111u);
                            Assert.Equal(format.PermissionFault((Acc)acc, pkey, pfec, rflags, pkru), context.PermissionFault((Acc)acc, pkey, pfec, rflags, pkru));
                        }
                    }
                }
            }
        }
    }
}
