using Workbench.Mmu.Arch;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Tests.Walk
{
    /// <summary>
    /// The kvm_translate_gpa hook: identity today, the slot where a nested (EPT/NPT) dimension plugs in.
    /// </summary>
    public class GpaTranslatorTests
    {
        private const ulong Gva = (1UL << 39) | (2UL << 30) | (3UL << 21) | (4UL << 12) | 0x567;

        /// <summary>Moves every GPA up by <see cref="Offset"/> and records each request; fails for one GPA.</summary>
        private struct OffsetTranslator : IGpaTranslator
        {
            public const ulong Offset = 0x10_0000;

            public ulong FailOn;
            public List<(ulong Gpa, ulong Access)> Requests;

            public readonly bool TryTranslate<TObserver>(ulong gpa, ulong access, ref TObserver observer, out ulong realGpa, out WalkResult fault)
                where TObserver : IWalkObserver
            {
                Requests.Add((gpa, access));
                if (gpa == FailOn)
                {
                    realGpa = 0;
                    fault = WalkResult.VmExit(ExitReason.Npf, (PfErr)(access & (ulong)(PfErr.GuestPage | PfErr.GuestFinal)), 0, gpa, 0, 1);
                    return false;
                }

                realGpa = gpa + Offset;
                fault = default;
                return true;
            }
        }

        private static (Vm Vm, WalkContext Context) Setup()
        {
            // The guest's tables say 0x1000 → 0x2000 → 0x3000 → 0x4000 → 0x5000, but they sit 1 MiB higher in "host"
            // memory, as L2 tables sit wherever L1's EPT maps them.
            Vm vm = Vm.Create(new VmConfig());
            Chain.Write(vm, PagingMode.Long4, 0x1000 + OffsetTranslator.Offset, Gva, 0x2007 + OffsetTranslator.Offset, 0x3007 + OffsetTranslator.Offset, 0x4007 + OffsetTranslator.Offset, 0x5007 + OffsetTranslator.Offset);
            Assert.True(vm.Vcpu.LoadState(Chain.Registers(PagingMode.Long4, 0x1000)).Ok);

            // Rewrite the entries to hold guest (untranslated) addresses.
            vm.Memory.TryWriteU64(0x101008, 0x2007);
            vm.Memory.TryWriteU64(0x102010, 0x3007);
            vm.Memory.TryWriteU64(0x103018, 0x4007);
            vm.Memory.TryWriteU64(0x104020, 0x5007);
            return (vm, vm.Vcpu.WalkContext);
        }

        [Fact]
        public void Every_table_GPA_and_the_final_GPA_pass_through_the_translator()
        {
            (_, WalkContext context) = Setup();
            OffsetTranslator translator = new OffsetTranslator { FailOn = ulong.MaxValue, Requests = new() };
            WalkTrace trace = new WalkTrace();

            WalkResult result = GuestWalker<Long4Format, WalkTrace>.Walk(in context, Gva, (ulong)PfErr.Write, Rflags.Fixed1, 0, ref trace, ref translator);

            Assert.Equal(0x105567UL, result.Gpa);
            const ulong table = (ulong)(PfErr.Write | PfErr.User | PfErr.GuestPage);
            Assert.Equal(new[]
            {
                (0x1000UL, table), (0x2000UL, table), (0x3000UL, table), (0x4000UL, table),
                // The leaf is a user page (U/S = 1 on every level): the final request says so, for EPT's MBEC.
                (0x5567UL, (ulong)(PfErr.Write | PfErr.GuestFinal | PfErr.UserLinearAddress)),
            }, translator.Requests);
            Assert.Equal(new ulong[] { 0x101008, 0x102010, 0x103018, 0x104020 }, trace.Entries.Where(e => e.Kind == TraceKind.Read).Select(e => e.Gpa));
        }

        [Theory]
        [InlineData(0x3000UL, PfErr.GuestPage)]
        [InlineData(0x5567UL, PfErr.GuestFinal)]
        public void A_failed_translation_ends_the_walk_with_the_outer_fault(ulong failOn, PfErr stage)
        {
            (Vm vm, WalkContext context) = Setup();
            OffsetTranslator translator = new OffsetTranslator { FailOn = failOn, Requests = new() };
            NoTrace none = default;

            WalkResult result = GuestWalker<Long4Format, NoTrace>.Walk(in context, Gva, 0, Rflags.Fixed1, 0, ref none, ref translator);

            Assert.Equal(WalkOutcome.VmExit, result.Outcome);
            Assert.Equal(stage, result.ErrorCode);
            Assert.Equal(failOn, result.FaultAddress);

            // KVM returns before update_accessed_dirty_bits: no A bit was set.
            vm.Memory.TryReadU64(0x101008, out ulong pml4e);
            Assert.Equal(0x2007UL, pml4e);
        }

        [Fact]
        public void The_identity_translator_gives_the_same_walk_as_the_vcpu()
        {
            (Vm vm, _) = Chain.Setup(PagingMode.Long4, Gva, new ulong[] { 0x2007, 0x3007, 0x4007, 0x5007 });
            NoTrace none = default;
            IdentityGpaTranslator identity = default;

            WalkResult direct = GuestWalker<Long4Format, NoTrace>.Walk(in vm.Vcpu.WalkContext, Gva, 0, Rflags.Fixed1, 0, ref none, ref identity);

            Assert.Equal(vm.Vcpu.Access(Gva, AccessKind.Read, 0, false), direct);
        }
    }
}
