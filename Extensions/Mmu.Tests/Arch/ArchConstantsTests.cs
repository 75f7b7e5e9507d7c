using System.Numerics;
using System.Reflection;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Paging;

namespace Workbench.Mmu.Tests.Arch
{
    /// <summary>Encoding invariants, the C# form of KVM's BUILD_BUG_ON checks.</summary>
    public class ArchConstantsTests
    {
        [Fact]
        public void ACC_bits_share_the_positions_of_the_PTE_bits()
        {
            // KVM paging_tmpl.h: BUILD_BUG_ON(ACC_EXEC_MASK != PT_PRESENT_MASK); mmu.c: ACC_WRITE_MASK == PT_WRITABLE_MASK.
            Assert.Equal(Pte64.PresentMask, (ulong)Acc.Exec);
            Assert.Equal(Pte64.WritableMask, (ulong)Acc.Write);
            Assert.Equal(Pte64.UserMask, (ulong)Acc.User);
            Assert.Equal((uint)Acc.Write, Pte32.WritableMask);
            Assert.Equal((uint)Acc.User, Pte32.UserMask);
        }

        [Fact]
        public void PFERR_W_and_U_share_the_positions_of_the_PTE_bits()
        {
            Assert.Equal(Pte64.WritableMask, (ulong)PfErr.Write);
            Assert.Equal(Pte64.UserMask, (ulong)PfErr.User);
        }

        [Theory]
        [InlineData(PfErr.Present, 0)]
        [InlineData(PfErr.Write, 1)]
        [InlineData(PfErr.User, 2)]
        [InlineData(PfErr.Rsvd, 3)]
        [InlineData(PfErr.Fetch, 4)]
        [InlineData(PfErr.PK, 5)]
        [InlineData(PfErr.SS, 6)]
        [InlineData(PfErr.Sgx, 15)]
        [InlineData(PfErr.GuestFinal, 32)]
        [InlineData(PfErr.GuestPage, 33)]
        [InlineData(PfErr.ImplicitAccess, 48)]
        public void Page_fault_error_bits_have_the_SDM_and_KVM_positions(PfErr bit, int position)
        {
            Assert.Equal(1UL << position, (ulong)bit);
        }

        [Theory]
        [InlineData(typeof(Cr0))]
        [InlineData(typeof(Cr4))]
        [InlineData(typeof(Efer))]
        [InlineData(typeof(Rflags))]
        public void Register_bit_constants_are_single_distinct_bits(Type type)
        {
            ulong[] bits = type.GetFields(BindingFlags.Public | BindingFlags.Static)
                .Where(f => f.IsLiteral && f.FieldType == typeof(ulong) && BitOperations.PopCount((ulong)f.GetValue(null)!) == 1)
                .Select(f => (ulong)f.GetValue(null)!)
                .ToArray();

            Assert.NotEmpty(bits);
            Assert.Equal(bits.Length, bits.Distinct().Count());
        }

        [Theory]
        [InlineData(Cr0.PE, 0)]
        [InlineData(Cr0.WP, 16)]
        [InlineData(Cr0.PG, 31)]
        [InlineData(Cr4.PSE, 4)]
        [InlineData(Cr4.PAE, 5)]
        [InlineData(Cr4.LA57, 12)]
        [InlineData(Cr4.PCIDE, 17)]
        [InlineData(Cr4.SMEP, 20)]
        [InlineData(Cr4.SMAP, 21)]
        [InlineData(Cr4.PKE, 22)]
        [InlineData(Efer.LME, 8)]
        [InlineData(Efer.LMA, 10)]
        [InlineData(Efer.NXE, 11)]
        [InlineData(Rflags.AC, 18)]
        public void Register_bits_have_their_SDM_positions(ulong bit, int position)
        {
            Assert.Equal(1UL << position, bit);
        }

        [Fact]
        public void CpuRegisters_is_a_value_with_structural_equality()
        {
            CpuRegisters a = new CpuRegisters(Cr0.PE, 0x1000, Cr4.PAE, Efer.LME, Rflags.Fixed1, 4);

            Assert.Equal(a, a with { });
            Assert.NotEqual(a, a with { Pkru = 0 });
        }
    }
}
