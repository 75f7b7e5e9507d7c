using System.Text;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Permissions;

namespace Workbench.Mmu.Tests.Permissions
{
    public class PermissionFaultTests
    {
        private const int MaxPhyAddr = 46;

        /// <summary>Every combination of CR0.WP, CR4.SMEP, CR4.SMAP, EFER.NXE, CR4.PKE and EFER.LMA.</summary>
        public static TheoryData<bool, bool, bool, bool, bool, bool> CpuConfigurations()
        {
            var data = new TheoryData<bool, bool, bool, bool, bool, bool>();
            for (int bits = 0; bits < 64; bits++)
            {
                data.Add((bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0, (bits & 8) != 0, (bits & 16) != 0,
                    (bits & 32) != 0);
            }

            return data;
        }

        [Theory]
        [MemberData(nameof(CpuConfigurations))]
        public void Permission_fault_matches_the_SDM_rules_for_every_access_page_and_key(
            bool wp, bool smep, bool smap, bool nx, bool pke, bool lma)
        {
            CpuRole role = CpuRole.Compute(Registers(wp, smep, smap, nx, pke, lma));
            PageFormat format = PageFormat.ForGuest(role, MaxPhyAddr, gbPages: true, amd: false);
            var mismatches = new List<string>();
            int cases = 0;

            foreach (bool ac in new[] { false, true })
            {
                var cpu = new SdmCpuState(wp, smep, smap, nx, pke, lma, ac);
                ulong rflags = Rflags.Fixed1 | (ac ? Rflags.AC : 0);
                foreach (SdmAccessKind kind in Enum.GetValues<SdmAccessKind>())
                {
                    foreach (bool cpl3 in new[] { false, true })
                    {
                        foreach (bool implicitAccess in new[] { false, true })
                        {
                            ulong pfec = RequestPfec(kind, cpl3, implicitAccess);
                            for (int accessBits = 0; accessBits <= (int)Acc.All; accessBits++)
                            {
                                var pteAccess = (Acc)accessBits;
                                for (uint pkey = 0; pkey < 16; pkey++)
                                {
                                    for (int keyBits = 0; keyBits < 4; keyBits++)
                                    {
                                        bool ad = (keyBits & 1) != 0;
                                        bool wd = (keyBits & 2) != 0;
                                        uint pkru = PkruWithKey(pkey, ad, wd);
                                        var access = new SdmAccess(kind, cpl3, implicitAccess,
                                            UserPage: (pteAccess & Acc.User) != 0,
                                            Writable: (pteAccess & Acc.Write) != 0,
                                            ExecuteDisable: (pteAccess & Acc.Exec) == 0,
                                            KeyAccessDisable: ad, KeyWriteDisable: wd);

                                        ulong expected = SdmAccessRights.ExpectedFault(cpu, access);
                                        ulong actual = format.PermissionFault(pteAccess, pkey, pfec, rflags, pkru);
                                        cases++;
                                        if (expected != actual && mismatches.Count < 20)
                                        {
                                            mismatches.Add($"{access} ac={ac} pkey={pkey}: expected 0x{expected:x}, got 0x{actual:x}");
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }

            // 2 AC x 3 kinds x 2 CPL x 2 implicit x 8 Acc x 16 keys x 4 AD/WD.
            Assert.Equal(12288, cases);
            Assert.True(mismatches.Count == 0, $"{role}:\n{string.Join('\n', mismatches)}");
        }

        [Theory]
        [InlineData(true, false, false, 1, 0x33)]   // supervisor write, CR0.WP=1: faults on read-only pages
        [InlineData(true, false, true, 1, 0xF3)]    // ... and with SMAP also on user pages (AC not set)
        [InlineData(false, false, false, 1, 0x00)]  // CR0.WP=0: supervisor writes ignore R/W
        [InlineData(true, false, false, 2, 0x0F)]   // user read: faults on supervisor pages
        [InlineData(true, false, false, 3, 0x3F)]   // user write: supervisor or read-only pages
        [InlineData(true, false, false, 8, 0x55)]   // supervisor fetch, NX=1: non-executable pages
        [InlineData(true, true, false, 8, 0xF5)]    // ... and with SMEP also user pages
        [InlineData(true, false, true, 8, 0x55)]    // SMAP does not apply to fetches
        [InlineData(true, false, true, 4, 0x00)]    // supervisor read with the not-SMAP slot set (AC=1, explicit)
        [InlineData(true, false, true, 0, 0xF0)]    // supervisor read, SMAP applies
        public void Permission_table_entries_have_the_spec_sanity_values(
            bool wp, bool smep, bool smap, int index, int expected)
        {
            CpuRole role = CpuRole.Compute(Registers(wp, smep, smap, nx: true, pke: false, lma: true));
            PageFormat format = PageFormat.ForGuest(role, MaxPhyAddr, gbPages: true, amd: false);

            Assert.Equal((byte)expected, format.Permissions[index]);
        }

        [Fact]
        public void Permission_table_without_NX_never_faults_a_fetch_for_lack_of_exec()
        {
            CpuRole role = CpuRole.Compute(Registers(wp: true, smep: false, smap: false, nx: false, pke: false, lma: true));
            PageFormat format = PageFormat.ForGuest(role, MaxPhyAddr, gbPages: true, amd: false);

            // Index 8 = supervisor fetch, 10 = user fetch (which still needs a user page).
            Assert.Equal(0x00, format.Permissions[8]);
            Assert.Equal(0x0F, format.Permissions[10]);
        }

        [Theory]
        [InlineData(false, false, true, 0x0000u)]
        [InlineData(true, false, true, 0x0000u)]   // PKE outside long mode: no protection keys
        [InlineData(false, true, true, 0x0000u)]
        [InlineData(true, true, true, 0xDD00u)]    // pfec 8, 10, 12, 14 (user page, no fetch); WD on 10 and 14
        [InlineData(true, true, false, 0xD500u)]   // CR0.WP=0: WD only for the user write (pfec 14)
        public void Pkru_mask_is_set_only_with_PKE_in_long_mode(bool pke, bool lma, bool wp, uint expected)
        {
            CpuRole role = CpuRole.Compute(Registers(wp, smep: false, smap: false, nx: true, pke, lma));
            PageFormat format = PageFormat.ForGuest(role, MaxPhyAddr, gbPages: true, amd: false);

            Assert.Equal(expected, format.PkruMask);
        }

        [Theory]
        [InlineData(true, 0x00, 0b00)]   // supervisor read of a supervisor page: no key check
        [InlineData(true, 0x08, 0b01)]   // supervisor read of a user page: AD
        [InlineData(true, 0x0A, 0b11)]   // supervisor write of a user page, WP=1: AD and WD
        [InlineData(false, 0x0A, 0b01)]  // supervisor write of a user page, WP=0: AD only
        [InlineData(false, 0x0E, 0b11)]  // user write of a user page: AD and WD whatever WP
        [InlineData(true, 0x18, 0b00)]   // fetch from a user page: keys do not apply
        public void Pkru_mask_applies_AD_and_WD_per_the_SDM(bool wp, int offset, int expectedBits)
        {
            CpuRole role = CpuRole.Compute(Registers(wp, smep: false, smap: false, nx: true, pke: true, lma: true));
            PageFormat format = PageFormat.ForGuest(role, MaxPhyAddr, gbPages: true, amd: false);

            Assert.Equal((uint)expectedBits, (format.PkruMask >> offset) & 3);
        }

        [Fact]
        public void Permission_fault_ignores_nested_stage_bits_above_bit_31()
        {
            CpuRole role = CpuRole.Compute(Registers(wp: true, smep: true, smap: true, nx: true, pke: true, lma: true));
            PageFormat format = PageFormat.ForGuest(role, MaxPhyAddr, gbPages: true, amd: false);
            ulong stageBits = (ulong)(PfErr.GuestFinal | PfErr.GuestPage);

            for (int accessBits = 0; accessBits <= (int)Acc.All; accessBits++)
            {
                foreach (ulong pfec in new[] { 0UL, 2UL, 4UL, 6UL, 0x10UL, 0x14UL })
                {
                    ulong plain = format.PermissionFault((Acc)accessBits, 1, pfec, Rflags.Fixed1, 0b1100);
                    ulong staged = format.PermissionFault((Acc)accessBits, 1, pfec | stageBits, Rflags.Fixed1, 0b1100);
                    Assert.Equal(plain, staged);
                }
            }
        }

        [Fact]
        public void Implicit_supervisor_access_cannot_use_AC_to_bypass_SMAP()
        {
            CpuRole role = CpuRole.Compute(Registers(wp: true, smep: false, smap: true, nx: true, pke: false, lma: true));
            PageFormat format = PageFormat.ForGuest(role, MaxPhyAddr, gbPages: true, amd: false);
            ulong rflags = Rflags.Fixed1 | Rflags.AC;

            Assert.Equal(0UL, format.PermissionFault(Acc.All, 0, 0, rflags, 0));
            Assert.Equal((ulong)PfErr.Present,
                format.PermissionFault(Acc.All, 0, (ulong)PfErr.ImplicitAccess, rflags, 0));
        }

        [Fact]
        public void Permission_fault_does_not_allocate()
        {
            CpuRole role = CpuRole.Compute(Registers(wp: true, smep: true, smap: true, nx: true, pke: true, lma: true));
            PageFormat format = PageFormat.ForGuest(role, MaxPhyAddr, gbPages: true, amd: false);
            ulong sink = format.PermissionFault(Acc.All, 3, 2, Rflags.Fixed1, 0x55);
            sink += format.IsReserved(0x8000_0000_0000_0083, 2) ? 1UL : 0;

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10_000; i++)
            {
                sink += format.PermissionFault((Acc)(i & 7), (uint)i & 15, (ulong)(i & 0x16), Rflags.Fixed1, (uint)i);
                sink += format.IsReserved((ulong)i << 7, 1 + (i % 5)) ? 1UL : 0;
            }

            long after = GC.GetAllocatedBytesForCurrentThread();
            Assert.Equal(0, after - before);
            Assert.NotEqual(ulong.MaxValue, sink);
        }

        internal static CpuRegisters Registers(bool wp, bool smep, bool smap, bool nx, bool pke, bool lma)
        {
            ulong cr0 = Cr0.PE | Cr0.PG | (wp ? Cr0.WP : 0);
            ulong cr4 = Cr4.PAE | (smep ? Cr4.SMEP : 0) | (smap ? Cr4.SMAP : 0) | (pke ? Cr4.PKE : 0);
            ulong efer = (nx ? Efer.NXE : 0) | (lma ? Efer.LME | Efer.LMA : 0);
            return new CpuRegisters(cr0, 0, cr4, efer, Rflags.Fixed1, 0);
        }

        /// <summary>The emulator's request encoding: U for explicit CPL 3 accesses, W, F, IMPLICIT_ACCESS.</summary>
        private static ulong RequestPfec(SdmAccessKind kind, bool cpl3, bool implicitAccess)
        {
            ulong pfec = 0;
            if (cpl3 && !implicitAccess)
            {
                pfec |= (ulong)PfErr.User;
            }

            if (kind == SdmAccessKind.Write)
            {
                pfec |= (ulong)PfErr.Write;
            }

            if (kind == SdmAccessKind.Fetch)
            {
                pfec |= (ulong)PfErr.Fetch;
            }

            if (implicitAccess)
            {
                pfec |= (ulong)PfErr.ImplicitAccess;
            }

            return pfec;
        }

        /// <summary>PKRU with AD/WD of <paramref name="pkey"/> as given and the opposite bits on every other key,
        /// so that reading the wrong key changes the answer.</summary>
        private static uint PkruWithKey(uint pkey, bool ad, bool wd)
        {
            uint own = (ad ? 1u : 0u) | (wd ? 2u : 0u);
            uint others = ~own & 3u;
            uint pkru = 0;
            for (int key = 0; key < 16; key++)
            {
                pkru |= (key == pkey ? own : others) << (2 * key);
            }

            return pkru;
        }
    }
}
