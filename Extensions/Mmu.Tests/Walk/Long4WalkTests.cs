using Workbench.Mmu.Arch;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Tests.Walk
{
    /// <summary>4-level IA-32e paging through <see cref="Vcpu.Access"/> (SDM 4.5; KVM paging64 walk_addr_generic).</summary>
    public class Long4WalkTests
    {
        // Indices 1, 2, 3, 4 at levels 4..1, offset 0x567.
        private const ulong Gva = (1UL << 39) | (2UL << 30) | (3UL << 21) | (4UL << 12) | 0x567;

        // PML4 at 0x1000 (CR3), PDPT 0x2000, PD 0x3000, PT 0x4000, page 0x5000; P|W|U everywhere.
        private static ulong[] Entries() => new ulong[] { 0x2007, 0x3007, 0x4007, 0x5007 };

        [Fact]
        public void It_translates_a_4K_page_and_keeps_the_offset()
        {
            (Vm vm, _) = Chain.Setup(PagingMode.Long4, Gva, Entries());

            WalkResult result = vm.Vcpu.Access(Gva, AccessKind.Read, 0, false);

            Assert.Equal(WalkOutcome.Ok, result.Outcome);
            Assert.Equal(0x5567UL, result.Gpa);
            Assert.Equal(1, result.Level);
            Assert.Equal(4096UL, result.PageSize);
            Assert.Equal(Acc.All, result.PteAccess);
        }

        [Fact]
        public void It_maps_a_2M_page_with_the_low_21_bits_of_the_address()
        {
            (Vm vm, _) = Chain.Setup(PagingMode.Long4, Gva, new ulong[] { 0x2007, 0x3007, 0x0060_0087 });

            WalkResult result = vm.Vcpu.Access(Gva, AccessKind.Read, 0, false);

            Assert.Equal(0x0060_0000UL | (Gva & 0x1F_FFFF), result.Gpa);
            Assert.Equal(2, result.Level);
            Assert.Equal(2UL << 20, result.PageSize);
        }

        [Fact]
        public void It_maps_a_1G_page_with_the_low_30_bits_of_the_address()
        {
            (Vm vm, _) = Chain.Setup(PagingMode.Long4, Gva, new ulong[] { 0x2007, 0x1_4000_0087 });

            WalkResult result = vm.Vcpu.Access(Gva, AccessKind.Read, 0, false);

            // A final GPA outside guest memory is still a successful walk: KVM emulates it as MMIO.
            Assert.Equal(0x1_4000_0000UL | (Gva & 0x3FFF_FFFF), result.Gpa);
            Assert.Equal(3, result.Level);
            Assert.Equal(1UL << 30, result.PageSize);
        }

        [Theory]
        [InlineData(4, AccessKind.Read, 0, 0x0UL)]
        [InlineData(3, AccessKind.Read, 3, 0x4UL)]
        [InlineData(2, AccessKind.Write, 0, 0x2UL)]
        [InlineData(1, AccessKind.Write, 3, 0x6UL)]
        [InlineData(1, AccessKind.Fetch, 0, 0x10UL)]
        public void A_not_present_entry_faults_with_P_clear_at_its_level(int level, AccessKind kind, int cpl, ulong errorCode)
        {
            ulong[] entries = Entries();
            entries[4 - level] &= ~Pte64.PresentMask;
            (Vm vm, _) = Chain.Setup(PagingMode.Long4, Gva, entries);

            WalkResult result = vm.Vcpu.Access(Gva, kind, cpl, false);

            Assert.Equal(WalkOutcome.PageFault, result.Outcome);
            Assert.Equal((PfErr)errorCode, result.ErrorCode);
            Assert.Equal(level, result.Level);
            Assert.Equal(Gva, result.FaultAddress);
        }

        public static IEnumerable<object[]> ReservedCases()
        {
            for (int level = 4; level >= 1; level--)
            {
                yield return new object[] { "bit 51", level, 1UL << 51, Efer.NXE, true };
                yield return new object[] { "bit 46 = MAXPHYADDR", level, 1UL << 46, Efer.NXE, true };
                yield return new object[] { "XD with EFER.NXE=0", level, Pte64.NxMask, 0UL, true };
            }

            yield return new object[] { "PS in a PML4E", 4, Pte64.PageSizeMask, Efer.NXE, true };
            yield return new object[] { "1G page without GBPAGES", 3, Pte64.PageSizeMask, Efer.NXE, false };
            yield return new object[] { "bit 13 of a 1G page", 3, Pte64.PageSizeMask | (1UL << 13), Efer.NXE, true };
            yield return new object[] { "bit 29 of a 1G page", 3, Pte64.PageSizeMask | (1UL << 29), Efer.NXE, true };
            yield return new object[] { "bit 13 of a 2M page", 2, Pte64.PageSizeMask | (1UL << 13), Efer.NXE, true };
            yield return new object[] { "bit 20 of a 2M page", 2, Pte64.PageSizeMask | (1UL << 20), Efer.NXE, true };
        }

        [Theory]
        [MemberData(nameof(ReservedCases))]
        public void A_reserved_bit_faults_with_RSVD_and_P(string what, int level, ulong bits, ulong efer, bool gbPages)
        {
            ulong[] entries = Entries();
            entries[4 - level] |= bits;
            (Vm vm, ulong[] gpas) = Chain.Setup(PagingMode.Long4, Gva, entries, new VmConfig(GbPages: gbPages), efer: efer);

            WalkResult result = vm.Vcpu.Access(Gva, AccessKind.Write, 3, false);

            Assert.True(result.Outcome == WalkOutcome.PageFault, what);
            Assert.Equal(PfErr.Rsvd | PfErr.Present | PfErr.Write | PfErr.User, result.ErrorCode);
            Assert.Equal(level, result.Level);

            // A fault never sets A or D. (Entries below the faulting one may sit outside memory: compare the walked ones.)
            Assert.Equal(entries.Take(5 - level), Chain.Read(vm, PagingMode.Long4, gpas).Take(5 - level));
        }

        [Fact]
        public void Bit_51_is_not_reserved_with_MAXPHYADDR_52()
        {
            ulong[] entries = Entries();
            entries[3] |= 1UL << 51;
            (Vm vm, _) = Chain.Setup(PagingMode.Long4, Gva, entries, new VmConfig(MaxPhyAddr: 52));

            WalkResult result = vm.Vcpu.Access(Gva, AccessKind.Read, 0, false);

            Assert.Equal((1UL << 51) | 0x5567, result.Gpa);
        }

        [Theory]
        [InlineData(Vendor.Amd, true)]
        [InlineData(Vendor.Intel, false)]
        public void Bit_8_of_a_PML4E_is_reserved_only_on_AMD(Vendor vendor, bool reserved)
        {
            ulong[] entries = Entries();
            entries[0] |= Pte64.GlobalMask;
            (Vm vm, _) = Chain.Setup(PagingMode.Long4, Gva, entries, new VmConfig(Vendor: vendor));

            WalkResult result = vm.Vcpu.Access(Gva, AccessKind.Read, 0, false);

            Assert.Equal(reserved, result.ErrorCode == (PfErr.Rsvd | PfErr.Present));
        }

        [Fact]
        public void A_read_sets_A_on_every_level_and_never_D()
        {
            (Vm vm, ulong[] gpas) = Chain.Setup(PagingMode.Long4, Gva, Entries());

            Assert.True(vm.Vcpu.Access(Gva, AccessKind.Read, 0, false).IsOk);

            Assert.Equal(new ulong[] { 0x2027, 0x3027, 0x4027, 0x5027 }, Chain.Read(vm, PagingMode.Long4, gpas));
        }

        [Fact]
        public void A_write_sets_A_on_every_level_and_D_only_on_the_leaf()
        {
            (Vm vm, ulong[] gpas) = Chain.Setup(PagingMode.Long4, Gva, Entries());

            Assert.True(vm.Vcpu.Access(Gva, AccessKind.Write, 0, false).IsOk);

            Assert.Equal(new ulong[] { 0x2027, 0x3027, 0x4027, 0x5067 }, Chain.Read(vm, PagingMode.Long4, gpas));
        }

        [Fact]
        public void A_write_to_a_2M_page_sets_D_in_the_PDE()
        {
            (Vm vm, ulong[] gpas) = Chain.Setup(PagingMode.Long4, Gva, new ulong[] { 0x2007, 0x3007, 0x0060_0087 });

            Assert.True(vm.Vcpu.Access(Gva, AccessKind.Write, 0, false).IsOk);

            Assert.Equal(new ulong[] { 0x2027, 0x3027, 0x0060_00E7 }, Chain.Read(vm, PagingMode.Long4, gpas));
        }

        [Fact]
        public void The_trace_lists_four_reads_then_the_A_and_D_writes_in_walk_order()
        {
            (Vm vm, ulong[] gpas) = Chain.Setup(PagingMode.Long4, Gva, Entries());
            WalkTrace trace = new WalkTrace();

            vm.Vcpu.Access(Gva, AccessKind.Write, 0, false, trace);

            TraceEntry[] expected =
            {
                new TraceEntry(TraceKind.Read, 4, 0x1008, 0x2007, 0),
                new TraceEntry(TraceKind.Read, 3, 0x2010, 0x3007, 0),
                new TraceEntry(TraceKind.Read, 2, 0x3018, 0x4007, 0),
                new TraceEntry(TraceKind.Read, 1, 0x4020, 0x5007, 0),
                new TraceEntry(TraceKind.Write, 4, 0x1008, 0x2027, 0),
                new TraceEntry(TraceKind.Write, 3, 0x2010, 0x3027, 0),
                new TraceEntry(TraceKind.Write, 2, 0x3018, 0x4027, 0),
                new TraceEntry(TraceKind.Write, 1, 0x4020, 0x5067, 0),
            };
            Assert.Equal(expected, trace.Entries);
            Assert.Equal(gpas, trace.Entries.Take(4).Select(e => e.Gpa));
        }

        [Fact]
        public void Entries_that_already_have_A_and_D_are_not_written_again()
        {
            (Vm vm, _) = Chain.Setup(PagingMode.Long4, Gva, new ulong[] { 0x2027, 0x3027, 0x4027, 0x5067 });
            WalkTrace trace = new WalkTrace();

            vm.Vcpu.Access(Gva, AccessKind.Write, 0, false, trace);

            Assert.Equal(4, trace.ReadCount);
            Assert.Equal(0, trace.WriteCount);
        }

        [Fact]
        public void Only_the_entries_missing_A_are_written_back()
        {
            (Vm vm, _) = Chain.Setup(PagingMode.Long4, Gva, new ulong[] { 0x2027, 0x3007, 0x4027, 0x5027 });
            WalkTrace trace = new WalkTrace();

            vm.Vcpu.Access(Gva, AccessKind.Read, 0, false, trace);

            TraceEntry write = Assert.Single(trace.Entries, e => e.Kind == TraceKind.Write);
            Assert.Equal(new TraceEntry(TraceKind.Write, 3, 0x2010, 0x3027, 0), write);
        }

        [Fact]
        public void A_permission_fault_sets_no_A_or_D_bit()
        {
            ulong[] entries = { 0x2007, 0x3007, 0x4007, 0x5005 };
            (Vm vm, ulong[] gpas) = Chain.Setup(PagingMode.Long4, Gva, entries);
            WalkTrace trace = new WalkTrace();

            WalkResult result = vm.Vcpu.Access(Gva, AccessKind.Write, 3, false, trace);

            Assert.Equal(PfErr.Present | PfErr.Write | PfErr.User, result.ErrorCode);
            Assert.Equal(0, trace.WriteCount);
            Assert.Equal(entries, Chain.Read(vm, PagingMode.Long4, gpas));
        }

        [Theory]
        [InlineData(0x2007UL, 0x3007UL, 0x4007UL, 0x5003UL, 3, AccessKind.Read, PfErr.Present | PfErr.User)]
        [InlineData(0x2003UL, 0x3007UL, 0x4007UL, 0x5007UL, 3, AccessKind.Read, PfErr.Present | PfErr.User)]
        [InlineData(0x2007UL, 0x3005UL, 0x4007UL, 0x5007UL, 3, AccessKind.Write, PfErr.Present | PfErr.Write | PfErr.User)]
        [InlineData(0x2007UL, 0x3007UL, 0x4005UL, 0x5007UL, 0, AccessKind.Write, PfErr.Present | PfErr.Write)]
        [InlineData(0x8000_0000_0000_2007UL, 0x3007UL, 0x4007UL, 0x5007UL, 0, AccessKind.Fetch, PfErr.Present | PfErr.Fetch)]
        public void Permissions_accumulate_over_all_levels(ulong l4, ulong l3, ulong l2, ulong l1, int cpl, AccessKind kind, PfErr expected)
        {
            (Vm vm, _) = Chain.Setup(PagingMode.Long4, Gva, new[] { l4, l3, l2, l1 });

            WalkResult result = vm.Vcpu.Access(Gva, kind, cpl, false);

            Assert.Equal(expected, result.ErrorCode);
            Assert.Equal(1, result.Level);
        }

        [Fact]
        public void The_access_rights_are_the_AND_of_all_levels_with_NX_inverted()
        {
            (Vm vm, _) = Chain.Setup(PagingMode.Long4, Gva, new ulong[] { 0x8000_0000_0000_2007, 0x3003, 0x4007, 0x5007 });

            WalkResult result = vm.Vcpu.Access(Gva, AccessKind.Read, 0, false);

            Assert.Equal(Acc.Write, result.PteAccess);
        }

        [Fact]
        public void Supervisor_writes_to_read_only_pages_succeed_with_CR0_WP_clear()
        {
            (Vm vm, ulong[] gpas) = Chain.Setup(PagingMode.Long4, Gva, new ulong[] { 0x2007, 0x3007, 0x4007, 0x5005 }, extraCr0: 0);

            WalkResult result = vm.Vcpu.Access(Gva, AccessKind.Write, 0, false);

            Assert.True(result.IsOk);
            Assert.Equal(0x5065UL, Chain.Read(vm, PagingMode.Long4, gpas)[3]);
        }

        [Theory]
        [InlineData(Efer.NXE, 0UL, PfErr.Fetch)]
        [InlineData(0UL, Cr4.SMEP, PfErr.Fetch)]
        [InlineData(0UL, 0UL, PfErr.None)]
        public void A_fetch_fault_reports_I_D_only_with_EFER_NXE_or_CR4_SMEP(ulong efer, ulong cr4, PfErr fetchBit)
        {
            ulong[] entries = Entries();
            entries[3] = 0x5006;
            (Vm vm, _) = Chain.Setup(PagingMode.Long4, Gva, entries, extraCr4: cr4, efer: efer);

            WalkResult result = vm.Vcpu.Access(Gva, AccessKind.Fetch, 3, false);

            Assert.Equal(PfErr.User | fetchBit, result.ErrorCode);
        }

        [Fact]
        public void SMEP_forbids_supervisor_fetches_from_user_pages()
        {
            (Vm vm, _) = Chain.Setup(PagingMode.Long4, Gva, Entries(), extraCr4: Cr4.SMEP);

            WalkResult result = vm.Vcpu.Access(Gva, AccessKind.Fetch, 0, false);

            Assert.Equal(PfErr.Present | PfErr.Fetch, result.ErrorCode);
        }

        [Theory]
        [InlineData(0UL, false, false)]
        [InlineData(Rflags.AC, false, true)]
        [InlineData(Rflags.AC, true, false)]
        public void SMAP_blocks_supervisor_reads_of_user_pages_unless_AC_and_explicit(ulong ac, bool implicitAccess, bool ok)
        {
            (Vm vm, _) = Chain.Setup(PagingMode.Long4, Gva, Entries(), extraCr4: Cr4.SMAP);
            Assert.True(vm.Vcpu.SetRflags(Rflags.Fixed1 | ac).Ok);

            WalkResult result = vm.Vcpu.Access(Gva, AccessKind.Read, 0, implicitAccess);

            Assert.Equal(ok, result.IsOk);
            if (!ok)
            {
                Assert.Equal(PfErr.Present, result.ErrorCode);
            }
        }

        [Theory]
        [InlineData(0x4U, AccessKind.Read, PfErr.Present | PfErr.User | PfErr.PK)]
        [InlineData(0x8U, AccessKind.Write, PfErr.Present | PfErr.Write | PfErr.User | PfErr.PK)]
        [InlineData(0x8U, AccessKind.Read, PfErr.None)]
        public void A_protection_key_in_bits_62_59_is_checked_against_PKRU(uint pkru, AccessKind kind, PfErr expected)
        {
            ulong[] entries = Entries();
            entries[3] |= 1UL << 59;
            (Vm vm, _) = Chain.Setup(PagingMode.Long4, Gva, entries, extraCr4: Cr4.PKE);
            Assert.True(vm.Vcpu.SetPkru(pkru).Ok);

            WalkResult result = vm.Vcpu.Access(Gva, kind, 3, false);

            Assert.Equal(expected, result.ErrorCode);
            if (result.IsOk)
            {
                Assert.Equal(1U, result.ProtectionKey);
            }
        }

        [Theory]
        [InlineData(0x0000_8000_0000_0000UL)]
        [InlineData(0xFFFF_7FFF_FFFF_F000UL)]
        [InlineData(0x0080_0000_0000_0000UL)]
        public void A_non_canonical_address_raises_GP_without_reading_tables(ulong gva)
        {
            (Vm vm, _) = Chain.Setup(PagingMode.Long4, Gva, Entries());
            WalkTrace trace = new WalkTrace();

            WalkResult result = vm.Vcpu.Access(gva, AccessKind.Read, 0, false, trace);

            Assert.Equal(WalkOutcome.GeneralProtection, result.Outcome);
            Assert.Equal(PfErr.None, result.ErrorCode);
            Assert.Equal(0, trace.Count);
        }

        [Fact]
        public void A_canonical_upper_half_address_is_walked()
        {
            const ulong upper = 0xFFFF_8000_0000_0000UL | Gva;
            ulong[] entries = Entries();
            (Vm vm, _) = Chain.Setup(PagingMode.Long4, upper, entries);

            Assert.Equal(0x5567UL, vm.Vcpu.Access(upper, AccessKind.Read, 0, false).Gpa);
        }

        [Fact]
        public void A_table_outside_guest_memory_is_a_not_present_fault()
        {
            // The PDE points at 4 GiB; the VM has 64 MiB. KVM: no memslot for the table gfn → "goto error" (errcode 0).
            (Vm vm, _) = Chain.Setup(PagingMode.Long4, Gva, new ulong[] { 0x2007, 0x3007, 0x1_0000_0007 });

            WalkResult result = vm.Vcpu.Access(Gva, AccessKind.Write, 0, false);

            Assert.Equal(PfErr.Write, result.ErrorCode);
            Assert.Equal(1, result.Level);
        }

        [Fact]
        public void CR3_PCID_and_flag_bits_do_not_move_the_root()
        {
            (Vm vm, _) = Chain.Setup(PagingMode.Long4, Gva, Entries(), cr3: 0x1018);

            Assert.Equal(0x5567UL, vm.Vcpu.Access(Gva, AccessKind.Read, 0, false).Gpa);
        }

        [Fact]
        public void Translate_uses_a_raw_access_mask()
        {
            (Vm vm, _) = Chain.Setup(PagingMode.Long4, Gva, new ulong[] { 0x2007, 0x3007, 0x4007, 0x5005 });

            Assert.True(vm.Vcpu.Translate(Gva, (ulong)PfErr.User).IsOk);
            Assert.Equal(PfErr.Present | PfErr.Write | PfErr.User, vm.Vcpu.Translate(Gva, (ulong)(PfErr.User | PfErr.Write)).ErrorCode);
        }
    }
}
