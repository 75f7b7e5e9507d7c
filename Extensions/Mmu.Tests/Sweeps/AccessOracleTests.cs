using Workbench.Mmu.Sweeps;

namespace Workbench.Mmu.Tests.Sweeps;

/// <summary>
/// The oracle against cases worked by hand from the SDM (Vol. 3A 4.6, 4.7, 4.8). Error-code bits: P = 1,
/// W = 2, U = 4, RSVD = 8, I/D = 0x10, PK = 0x20; A = 0x20, D = 0x40 in an entry.
/// </summary>
public sealed class AccessOracleTests
{
    private const ulong A = 0x20;
    private const ulong D = 0x40;
    private const ulong Pte0 = 0x1000;
    private const ulong Pde0 = 0x2000;

    private static AccessExpectation Expect(AccessCase flags) => AccessOracle.Expect(flags, Pte0, Pde0);

    [Fact]
    public void Not_present_pde_faults_with_error_code_zero_for_a_supervisor_read()
    {
        AccessExpectation e = Expect(AccessCase.None);
        Assert.True(e.Fault);
        Assert.Equal(0UL, e.ErrorCode);
        Assert.Equal(Pte0, e.Pte);
        Assert.Equal(Pde0, e.Pde);
        Assert.Equal(A, e.PdeIgnore); // the CPU may set pde.a on a walk that faults: access.c ignores it
    }

    [Fact]
    public void Supervisor_read_sets_accessed_in_pde_and_pte()
    {
        AccessExpectation e = Expect(AccessCase.PdePresent | AccessCase.PtePresent);
        Assert.False(e.Fault);
        Assert.Equal(Pte0 | A, e.Pte);
        Assert.Equal(Pde0 | A, e.Pde);
        Assert.Equal(0UL, e.PdeIgnore);
    }

    [Fact]
    public void Write_sets_dirty_only_in_the_leaf()
    {
        AccessExpectation e = Expect(AccessCase.PdePresent | AccessCase.PtePresent | AccessCase.AccessWrite);
        Assert.False(e.Fault); // CR0.WP = 0: supervisor writes ignore R/W
        Assert.Equal(Pte0 | A | D, e.Pte);
        Assert.Equal(Pde0 | A, e.Pde);

        e = Expect(AccessCase.PdePresent | AccessCase.PdePse | AccessCase.AccessWrite);
        Assert.False(e.Fault);
        Assert.Equal(Pde0 | A | D, e.Pde);
    }

    [Fact]
    public void Supervisor_write_to_read_only_page_faults_only_with_cr0_wp()
    {
        AccessCase write = AccessCase.PdePresent | AccessCase.PtePresent | AccessCase.PdeWritable | AccessCase.AccessWrite;
        Assert.False(Expect(write).Fault);
        AccessExpectation e = Expect(write | AccessCase.CpuCr0Wp);
        Assert.True(e.Fault);
        Assert.Equal(0x3UL, e.ErrorCode); // P | W
        Assert.Equal(Pte0, e.Pte);
    }

    [Fact]
    public void Pdpte_read_only_blocks_user_writes_even_with_writable_pde_and_pte()
    {
        AccessCase user = AccessCase.PdePresent | AccessCase.PtePresent | AccessCase.PdeUser | AccessCase.PteUser
            | AccessCase.PdeWritable | AccessCase.PteWritable | AccessCase.AccessUser | AccessCase.AccessWrite;
        Assert.False(Expect(user).Fault);
        AccessExpectation e = Expect(user | AccessCase.PdpteNoWritable);
        Assert.True(e.Fault);
        Assert.Equal(0x7UL, e.ErrorCode); // P | W | U
    }

    [Fact]
    public void User_read_needs_user_bit_in_pde_and_pte()
    {
        AccessExpectation e = Expect(AccessCase.PdePresent | AccessCase.PtePresent | AccessCase.PdeUser | AccessCase.AccessUser);
        Assert.True(e.Fault);
        Assert.Equal(0x5UL, e.ErrorCode); // P | U
    }

    [Fact]
    public void Fetch_from_nx_page_reports_instruction_fetch_only_with_nxe()
    {
        AccessExpectation e = Expect(AccessCase.PdePresent | AccessCase.PtePresent | AccessCase.PteNx | AccessCase.CpuEferNx | AccessCase.AccessFetch);
        Assert.True(e.Fault);
        Assert.Equal(0x11UL, e.ErrorCode); // P | I/D

        // Without NXE the XD bit is reserved, and I/D is not reported (SDM 4.7).
        e = Expect(AccessCase.PdePresent | AccessCase.PtePresent | AccessCase.PteNx | AccessCase.AccessFetch);
        Assert.True(e.Fault);
        Assert.Equal(0x9UL, e.ErrorCode); // P | RSVD

        e = Expect(AccessCase.PdePresent | AccessCase.AccessFetch | AccessCase.CpuEferNx);
        Assert.Equal(0x10UL, e.ErrorCode); // not present, I/D
    }

    [Fact]
    public void Reserved_bits_fault_with_rsvd_and_present()
    {
        Assert.Equal(0x9UL, Expect(AccessCase.PdePresent | AccessCase.PdePse | AccessCase.PdeBit13).ErrorCode);
        Assert.Equal(0x9UL, Expect(AccessCase.PdePresent | AccessCase.PdeBit51 | AccessCase.PtePresent).ErrorCode);
        Assert.Equal(0xbUL, Expect(AccessCase.PdePresent | AccessCase.PtePresent | AccessCase.PteBit36 | AccessCase.AccessWrite).ErrorCode);

        // A reserved bit in a not-present entry does not count (P = 0 ends the walk first).
        Assert.Equal(0x0UL, Expect(AccessCase.PdePresent | AccessCase.PteBit51).ErrorCode);
    }

    [Fact]
    public void Protection_key_access_disable_stops_data_accesses_to_user_pages_at_any_cpl()
    {
        AccessCase userPage = AccessCase.PdePresent | AccessCase.PtePresent | AccessCase.PdeUser | AccessCase.PteUser
            | AccessCase.PkuPkey | AccessCase.CpuCr4Pke | AccessCase.PkuAd;
        AccessExpectation e = Expect(userPage | AccessCase.AccessUser);
        Assert.Equal(0x25UL, e.ErrorCode); // P | U | PK
        Assert.Equal(0x21UL, Expect(userPage).ErrorCode); // supervisor read: P | PK
        Assert.False(Expect(userPage | AccessCase.AccessFetch).Fault); // keys do not apply to fetches
        Assert.False(Expect(userPage & ~AccessCase.PkuPkey).Fault); // key 0 allows everything
        Assert.False(Expect(userPage & ~AccessCase.CpuCr4Pke & ~AccessCase.PkuAd).Fault); // CR4.PKE = 0
        Assert.False(Expect(userPage & ~AccessCase.PteUser).Fault); // supervisor page: no key check
    }

    [Fact]
    public void Protection_key_write_disable_stops_supervisor_writes_only_with_cr0_wp()
    {
        AccessCase write = AccessCase.PdePresent | AccessCase.PtePresent | AccessCase.PdeUser | AccessCase.PteUser
            | AccessCase.PdeWritable | AccessCase.PteWritable | AccessCase.PkuPkey | AccessCase.CpuCr4Pke | AccessCase.PkuWd
            | AccessCase.AccessWrite;
        Assert.False(Expect(write).Fault);
        Assert.Equal(0x23UL, Expect(write | AccessCase.CpuCr0Wp).ErrorCode); // P | W | PK
        Assert.Equal(0x27UL, Expect(write | AccessCase.AccessUser).ErrorCode); // P | W | U | PK
        Assert.False(Expect((write | AccessCase.AccessUser) & ~AccessCase.AccessWrite).Fault); // reads are fine
    }

    [Fact]
    public void Twice_keeps_the_accessed_bits_of_the_first_read()
    {
        // First access: supervisor read (succeeds, sets A); second: user write to a supervisor page (faults).
        AccessCase flags = AccessCase.PdePresent | AccessCase.PtePresent | AccessCase.PdeWritable | AccessCase.PteWritable
            | AccessCase.AccessUser | AccessCase.AccessWrite | AccessCase.AccessTwice;
        AccessExpectation e = Expect(flags);
        Assert.True(e.Fault);
        Assert.Equal(0x7UL, e.ErrorCode);
        Assert.Equal(Pte0 | A, e.Pte);
        Assert.Equal(Pde0 | A, e.Pde);

        // Without "twice" the PTE stays clean.
        Assert.Equal(Pte0, Expect(flags & ~AccessCase.AccessTwice).Pte);
    }

    [Fact]
    public void Smep_stops_supervisor_fetch_from_user_pages()
    {
        AccessCase fetch = AccessCase.PdePresent | AccessCase.PtePresent | AccessCase.PdeUser | AccessCase.PteUser | AccessCase.AccessFetch;
        Assert.False(Expect(fetch).Fault);
        Assert.Equal(0x11UL, Expect(fetch | AccessCase.CpuCr4Smep).ErrorCode); // P | I/D (SMEP reports I/D without NXE)
    }
}
