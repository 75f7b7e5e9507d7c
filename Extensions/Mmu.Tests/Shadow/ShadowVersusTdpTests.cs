using Workbench.Mmu.Arch;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Tests.Shadow;

/// <summary>
/// KVM is tested by running the same suite with ept=0 and ept=1: guest-visible results must not depend on how the
/// host virtualizes memory. Randomized page tables with every table page mapped into the guest (fixed seeds, sampled: 300 guests × 40 steps) and accesses, run
/// under the shadow MMU and the TDP MMU: the results agree step by step, and neither MMU ever builds SPTEs that refuse
/// the access it just fixed, nor breaks the spec §10 invariants.
/// </summary>
public class ShadowVersusTdpTests
{
    [Fact]
    public void Shadow_and_TDP_give_the_same_guest_visible_results_on_random_guests()
    {
        for (int seed = 0; seed < 300; seed++)
        {
            var random = new Random(seed);
            var experiment = RandomGuest(random);
            var shadow = RunChecked(experiment with { Vm = experiment.Vm with { Tdp = TdpMode.None } }, seed);
            var tdp = RunChecked(experiment with { Vm = experiment.Vm with { Tdp = TdpMode.Ept } }, seed);
            Assert.Equal(shadow, tdp);
        }
    }

    private static List<string> RunChecked(Experiment experiment, int seed)
    {
        var vm = ExperimentRunner.CreateVm(experiment);
        var results = new List<string>();
        foreach (var step in experiment.Steps)
        {
            results.Add(step switch
            {
                AccessStep a => vm.Vcpu.Access(a.Gva, a.Kind, a.Cpl, a.Implicit).ToString(),
                StoreStep s => vm.Vcpu.Store(s.Gva, s.Value, s.Cpl).ToString(),
                InvlpgStep i => Invlpg(vm, i.Gva),
                SetStep set => vm.Vcpu.SetCr0(set.Writes[0].Value).ToString(),
                _ => throw new InvalidOperationException(),
            });
            var problems = ShadowInvariants.Check(vm);
            Assert.True(problems.Count == 0, $"seed {seed}, tdp {experiment.Vm.Tdp}, after {step}: {string.Join("; ", problems)}");
        }

        return results;
    }

    private static string Invlpg(Vm vm, ulong gva)
    {
        vm.Vcpu.Invlpg(gva);
        return "invlpg";
    }

    private static Experiment RandomGuest(Random random)
    {
        var tables = new PageTableBuilder(PagingMode.Long4);
        var gvas = new List<ulong>();
        for (int i = 0; i < 12; i++)
        {
            ulong gva = ((ulong)random.Next(1, 64) << 21) | ((ulong)random.Next(512) << 12);
            if (gvas.Contains(gva & ~0x1FFFFFUL) || gvas.Contains(gva))
            {
                continue;
            }

            var flags = PteFlags.Present;
            flags |= random.Next(2) == 0 ? PteFlags.Write : 0;
            flags |= random.Next(2) == 0 ? PteFlags.User : 0;
            flags |= random.Next(4) == 0 ? PteFlags.NoExecute : 0;
            flags |= random.Next(3) == 0 ? PteFlags.Dirty | PteFlags.Accessed : 0;
            if (random.Next(6) == 0)
            {
                flags &= ~PteFlags.Present;
            }

            bool large = random.Next(5) == 0;
            ulong target = large ? (ulong)random.Next(4, 30) << 21 : (ulong)random.Next(0x400, 0x3000) << 12;
            try
            {
                tables.Map(large ? gva & ~0x1FFFFFUL : gva, target, large ? PageTableBuilder.Size2M : PageTableBuilder.Size4K, flags);
                gvas.Add(large ? gva & ~0x1FFFFFUL : gva);
            }
            catch (InvalidOperationException)
            {
                // A large page where a table already is (or the reverse): skip this mapping.
            }
        }

        // A self-map of every page-table page (as an OS maps its tables) so that guest stores hit tables at every level.
        ulong tableGva = 0x7F_C000_0000;
        ulong lastTable = tables.NextFreePage;
        int tablePages = 0;
        for (ulong page = tables.Root; page < lastTable; page += 0x1000, tablePages++)
        {
            tables.Map(tableGva + (page - tables.Root), page, PageTableBuilder.Size4K, PteFlags.Present | PteFlags.Write);
        }

        var steps = new List<ExperimentStep>();
        for (int i = 0; i < 40; i++)
        {
            ulong gva = gvas[random.Next(gvas.Count)] + ((ulong)random.Next(512) * 8);
            steps.Add(random.Next(10) switch
            {
                0 or 4 => new StoreStep(tableGva + ((ulong)random.Next(tablePages) << 12) + ((ulong)random.Next(512) * 8), (ulong)random.NextInt64() & 0x3FF_F067),
                1 => new InvlpgStep(gva),
                2 => new SetStep([new RegisterAssignment(VcpuRegister.Cr0, Cr0.PG | Cr0.PE | (random.Next(2) == 0 ? Cr0.WP : 0))]),
                3 => new StoreStep(gva & ~7UL, (ulong)random.NextInt64(), random.Next(2) * 3),
                _ => new AccessStep((AccessKind)random.Next(3), gva, random.Next(2) * 3),
            });
        }

        return new Experiment
        {
            Vm = new VmConfig(MemorySize: 256UL << 20),
            Memory = tables.ToMemory(),
            Vcpu = Experiment.DefaultRegisters with { Cr0 = Cr0.PG | Cr0.WP | Cr0.PE, Cr3 = tables.Root, Cr4 = Cr4.PAE | Cr4.SMEP, Efer = Efer.LME | Efer.LMA | Efer.NXE },
            Steps = [.. steps],
        };
    }
}
