using System.Diagnostics;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Bench
{
    /// <summary>What building (and using) shadow page tables for a big guest cost.</summary>
    /// <param name="GuestBytes">Guest memory mapped by 4K pages.</param>
    /// <param name="Pages">4K pages mapped (= gPTEs).</param>
    /// <param name="GptBytes">Bytes of the guest's last-level page tables (8 per page).</param>
    /// <param name="BuildSeconds">Writing the guest page tables into guest memory.</param>
    /// <param name="FaultSeconds">First access to every page: a shadow fault each (walk, shadow pages, SPTE).</param>
    /// <param name="FaultNs">Per fault.</param>
    /// <param name="HitNs">A second access to a page whose SPTE exists (walk + SPTE check, no fault).</param>
    /// <param name="SyncSeconds">A guest TLB flush after every last-level table went unsync (sync of every unsync page).</param>
    /// <param name="ShadowBytes">SPTE tables + translation records + rmaps held by the shadow MMU.</param>
    /// <param name="ManagedBytes">Managed heap after the run (model, guest memory, shadow MMU).</param>
    public sealed record ShadowBuildResult(ulong GuestBytes, long Pages, long GptBytes, double BuildSeconds, double FaultSeconds,
        double FaultNs, double HitNs, double SyncSeconds, long ShadowBytes, long ManagedBytes);

    /// <summary>
    /// A guest mapping all of its memory with 4 KiB pages (4-level, one PTE per page, tables from 1 GiB up... from
    /// the top of guest memory down, as a kernel's direct map is), touched page by page through the shadow MMU.
    /// </summary>
    public static class ShadowWorkload
    {
        /// <summary>Runs the workload for a guest of <paramref name="gib"/> GiB.</summary>
        public static ShadowBuildResult Run(int gib)
        {
            ulong bytes = (ulong)gib << 30;
            long pages = (long)(bytes >> 12);

            // Memory: the mapped pages plus room for the tables (1/512 of it, plus the upper levels).
            ulong memory = bytes + (bytes / 256) + (64UL << 20);
            var vm = Vm.Create(new VmConfig(MaxPhyAddr: 46, MemorySize: memory, Tdp: TdpMode.None));
            var build = Stopwatch.StartNew();
            ulong tables = bytes;                       // tables live right above the mapped range
            ulong pml4 = tables;
            ulong next = tables + 0x1000;
            ulong pdpt = next; next += 0x1000;
            vm.Memory.TryWriteU64(pml4, pdpt | 7);
            for (ulong gib1 = 0; gib1 < (ulong)gib; gib1++)
            {
                ulong pd = next; next += 0x1000;
                vm.Memory.TryWriteU64(pdpt + (gib1 * 8), pd | 7);
                for (ulong mib2 = 0; mib2 < 512; mib2++)
                {
                    ulong pt = next; next += 0x1000;
                    vm.Memory.TryWriteU64(pd + (mib2 * 8), pt | 7);
                    ulong baseGpa = (gib1 << 30) | (mib2 << 21);
                    for (ulong page = 0; page < 512; page++)
                    {
                        // Accessed and dirty already, as after the guest used the page: faults map writable at once.
                        vm.Memory.TryWriteU64(pt + (page * 8), baseGpa | (page << 12) | 0x67);
                    }
                }
            }

            build.Stop();
            var state = Experiments.Experiment.DefaultRegisters with { Cr0 = Cr0.PG | Cr0.WP | Cr0.PE, Cr3 = pml4, Cr4 = Cr4.PAE, Efer = Efer.LME | Efer.LMA };
            if (!vm.Vcpu.LoadState(state).Ok)
            {
                throw new InvalidOperationException("state");
            }

            var faults = Stopwatch.StartNew();
            for (long page = 0; page < pages; page++)
            {
                vm.Vcpu.Access((ulong)page << 12, AccessKind.Write, 0, false);
            }

            faults.Stop();
            var hits = Stopwatch.StartNew();
            long sample = Math.Min(pages, 1 << 20);
            for (long page = 0; page < sample; page++)
            {
                vm.Vcpu.Access((ulong)page << 12, AccessKind.Read, 0, false);
            }

            hits.Stop();
            var sync = Stopwatch.StartNew();
            vm.Mmu.SyncRoots(vm.Vcpu, vm.Vcpu.Contexts.ActiveMmu);
            sync.Stop();
            long managed = GC.GetTotalMemory(forceFullCollection: true);
            GC.KeepAlive(vm);
            return new ShadowBuildResult(bytes, pages, pages * 8, build.Elapsed.TotalSeconds, faults.Elapsed.TotalSeconds,
                faults.Elapsed.TotalMilliseconds * 1e6 / pages, hits.Elapsed.TotalMilliseconds * 1e6 / sample, sync.Elapsed.TotalSeconds,
                vm.Mmu.Bytes, managed);
        }
    }
}
