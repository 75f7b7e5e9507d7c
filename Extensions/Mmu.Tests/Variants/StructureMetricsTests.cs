using Workbench.Mmu.Analysis;

namespace Workbench.Mmu.Tests.Variants;

/// <summary>Structural metrics come from object use in the scenarios: the "god structure" shows as half-used nested_mmu.</summary>
public class StructureMetricsTests
{
    [Fact]
    public void Nested_mmu_uses_only_its_walking_half_and_the_chainsaw_split_leaves_nothing_idle_in_a_used_object()
    {
        var v612 = StructureMetrics.Measure("6.12");
        var nested = v612.Objects.Single(o => o.Object == "nested_mmu");
        Assert.Equal(18, nested.Fields.Length);
        Assert.Equal(MmuFields.Walker.Length, nested.UsedByScenario["L2, nested EPT"].Length);
        Assert.Empty(nested.UsedByScenario["L2, L1 shadows L2, L0 TDP"]);
        Assert.Equal(54, v612.TotalFields);
        Assert.Equal(2, v612.PointerReassignmentsPerTransition);

        var v2 = StructureMetrics.Measure("chainsaw-v2");
        Assert.Equal(36, v2.TotalFields);
        Assert.Equal(1, v2.PointerReassignmentsPerTransition);
        Assert.All(v2.Objects, o => Assert.All(o.UsedByScenario.Values.Where(u => !u.IsEmpty), u => Assert.Equal(o.Fields.Length, u.Length)));
    }

    [Theory]
    [InlineData("6.12", "L2 gva_to_gpa", "nested_mmu")]
    [InlineData("6.12", "L2 fault", "guest_mmu")]
    [InlineData("2010", "L2 fault", "mmu")]
    [InlineData("chainsaw-v1", "L2 gva_to_gpa", "cpu_walk")]
    [InlineData("chainsaw-v2", "L2 walk (EPT/NPT tables)", "ngpa_walk")]
    [InlineData("chainsaw-v2", "L2 invalidate", "root_mmu")]
    public void Operations_are_served_by_each_organizations_own_objects(string variant, string operation, string served)
    {
        Assert.Equal(served, StructureMetrics.Measure(variant).OperationServedBy[operation]);
    }
}
