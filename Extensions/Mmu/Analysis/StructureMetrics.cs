using System.Collections.Immutable;
using Workbench.Mmu.Contexts;
using Workbench.Mmu.Experiments;

namespace Workbench.Mmu.Analysis
{
    /// <summary>
    /// The fields of KVM's MMU structures, by the half of the structure they belong to (spec §2, §9.2): the walking half
    /// (6.12 <c>struct kvm_mmu</c>'s walker fields = post-chainsaw <c>struct kvm_pagewalk</c> + its page format) and the
    /// table-building half (post-chainsaw <c>struct kvm_mmu</c>).
    /// </summary>
    public static class MmuFields
    {
        /// <summary>Fields a walk reads.</summary>
        public static ImmutableArray<string> Walker { get; } =
            ["get_guest_pgd", "get_pdptr", "inject_page_fault", "gva_to_gpa", "cpu_role", "guest_rsvd_check", "permissions", "pkru_mask", "pdptrs"];

        /// <summary>Fields the page-table builder uses.</summary>
        public static ImmutableArray<string> Builder { get; } =
            ["page_fault", "sync_spte", "root", "root_role", "prev_roots", "pae_root", "pml4_root", "pml5_root", "shadow_zero_check"];
    }

    /// <summary>One object of a variant and how much of its structure a scenario uses.</summary>
    /// <param name="Object">The object's name.</param>
    /// <param name="Fields">Fields its type declares.</param>
    /// <param name="UsedByScenario">Per scenario, the fields that scenario used.</param>
    public sealed record ObjectFields(string Object, ImmutableArray<string> Fields, ImmutableSortedDictionary<string, ImmutableArray<string>> UsedByScenario);

    /// <summary>The structural metrics of one variant.</summary>
    /// <param name="Variant">The variant.</param>
    /// <param name="Objects">Its objects with declared and used fields.</param>
    /// <param name="PointerReassignmentsPerTransition">Pointer reassignments per nested entry or exit (nested TDP).</param>
    /// <param name="OperationServedBy">Operation (walk, fault, gva_to_gpa, invalidate) × level → object serving it, nested EPT scenario.</param>
    public sealed record VariantStructure(string Variant, ImmutableArray<ObjectFields> Objects, double PointerReassignmentsPerTransition,
        ImmutableSortedDictionary<string, string> OperationServedBy)
    {
        /// <summary>Total fields over all objects (the per-vCPU footprint of the organization).</summary>
        public int TotalFields => Objects.Sum(o => o.Fields.Length);
    }

    /// <summary>Measures the organizations (issue "Structure variants", item 3), from object use in the six scenarios.</summary>
    public static class StructureMetrics
    {
        /// <summary>Measures <paramref name="variant"/>.</summary>
        public static VariantStructure Measure(string variant)
        {
            var usage = ObjectUsage.Collect(variant);
            var vm = Vm.Create(new VmConfig(), variant);
            var layout = vm.Vcpu.Contexts;

            // Which struct each object is: a kvm_mmu that holds both halves (2010, 6.12), or one half (chainsaw).
            var objects = new List<ObjectFields>();
            var mmuWalkers = layout.Mmus.Select(m => m.Walker).ToHashSet();
            var names = layout.Mmus.Select(m => m.Name).Concat(layout.Walkers.Select(w => w.Name)).Distinct().ToList();
            foreach (string name in names)
            {
                bool isMmu = layout.Mmus.Any(m => m.Name == name);
                bool isWalker = layout.Walkers.Any(w => w.Name == name);
                ImmutableArray<string> fields = [.. (isWalker ? MmuFields.Walker : []), .. (isMmu ? MmuFields.Builder : [])];
                var used = ImmutableSortedDictionary.CreateBuilder<string, ImmutableArray<string>>(StringComparer.Ordinal);
                foreach (var (scenario, uses) in usage)
                {
                    var parts = uses.Where(u => u.Object == name).Select(u => u.Part).ToHashSet();
                    ImmutableArray<string> fieldsUsed = [.. (parts.Contains("walk") || parts.Contains("inner") ? MmuFields.Walker : []),
                        .. (parts.Contains("mmu") ? MmuFields.Builder : [])];
                    used[scenario] = [.. fieldsUsed.Where(fields.Contains)];
                }

                objects.Add(new ObjectFields(name, fields, used.ToImmutable()));
            }

            return new VariantStructure(variant, [.. objects], PointerReassignments(variant), Operations(variant));
        }

        private static double PointerReassignments(string variant)
        {
            // Enter L2 (nested EPT), exit, enter again, exit: four transitions.
            var setup = NestedSetup.Build(new NestedSetup.Options());
            var vm = ExperimentRunner.CreateVm(setup.Experiment, variant);
            vm.Vcpu.ExitToL1();
            vm.Vcpu.ResumeL2();
            vm.Vcpu.ExitToL1();
            return vm.Vcpu.Contexts.PointerReassignments / 4.0;
        }

        private static ImmutableSortedDictionary<string, string> Operations(string variant)
        {
            var result = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
            var setup = NestedSetup.Build(new NestedSetup.Options());
            var vm = ExperimentRunner.CreateVm(setup.Experiment, variant);
            foreach (int level in new[] { 2, 1 })
            {
                if (level == 1)
                {
                    vm.Vcpu.ExitToL1();
                }

                ContextLayout layout = vm.Vcpu.Contexts;
                string l = $"L{level}";
                result[$"{l} fault"] = layout.ActiveMmu.Name;
                result[$"{l} gva_to_gpa"] = layout.ActiveWalker.Name;
                result[$"{l} walk (guest tables)"] = layout.ActiveWalker.Name;
                if (layout.ActiveWalker.TranslateThrough is { } inner)
                {
                    result[$"{l} walk (EPT/NPT tables)"] = inner.Name;
                }

                // INVLPG: kvm_mmu_invalidate_addr on the MMU whose walker serves gva_to_gpa (6.12: walk_mmu; post: gva_walk
                // → root_mmu).
                result[$"{l} invalidate"] = layout.Mmus.FirstOrDefault(m => ReferenceEquals(m.Walker, layout.ActiveWalker))?.Name ?? "-";
            }

            return result.ToImmutable();
        }
    }
}
