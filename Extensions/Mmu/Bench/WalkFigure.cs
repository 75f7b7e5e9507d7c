namespace Workbench.Mmu.Bench;

/// <summary>Which working set of the C reference (<c>../shared/perf/cwalk.c</c>, <c>wset_build</c>) a figure walks.</summary>
public enum WalkSetSize
{
    /// <summary>SET_BIG: 1,048,576 pages scattered over the address space (PAE: its whole 4 GiB).</summary>
    Big = 0,

    /// <summary>SET_MID: one dense 256 MiB region, 128 full page tables under one PD (65,536 pages).</summary>
    Mid = 1,
}

/// <summary>
/// One walk figure of the C reference, by its name there (<c>walk4</c>, <c>walk4_256m</c>, <c>walk4_hot</c>, …,
/// <c>walk2d_5x5_hot</c>), with what <c>cwalk</c> builds for it.
/// </summary>
/// <param name="Name">The figure's name in cwalk's JSON (<c>"bench"</c>).</param>
/// <param name="Levels">Guest paging levels: 3 (PAE), 4 or 5.</param>
/// <param name="EptLevels">0 for a 1-D walk, 4 or 5 for a 2-D walk over EPT.</param>
/// <param name="Size">Working set.</param>
/// <param name="Hot">0, or the number of distinct pages under one page table the walks draw from (64).</param>
/// <param name="ReadsPerOp">Entries one walk reads (4, 5, 2, 24, 35).</param>
/// <param name="KindIndex">Row of cwalk's table of kinds; seeds the generator (1000 + row for the big set, 2000 + row for the others).</param>
public sealed record WalkFigure(string Name, int Levels, int EptLevels, WalkSetSize Size, int Hot, int ReadsPerOp, int KindIndex)
{
    /// <summary>Every walk figure of cwalk, in its output order.</summary>
    public static IReadOnlyList<WalkFigure> All { get; } = Build();

    /// <summary>True for the 2-D (nested EPT) walks.</summary>
    public bool IsTwoDimensional => EptLevels != 0;

    /// <summary>The generator seed cwalk sets before building this figure's set (<c>rng_state</c>).</summary>
    public ulong Seed => (ulong)((Size == WalkSetSize.Big ? 1000 : 2000) + KindIndex);

    /// <summary>Looks a figure up by its cwalk name.</summary>
    public static WalkFigure? Find(string name) => All.FirstOrDefault(f => f.Name == name);

    private static List<WalkFigure> Build()
    {
        var kinds = new (string Big, string Mid, string Hot, int Levels, int Ept, int Reads)[]
        {
            ("walk4", "walk4_256m", "walk4_hot", 4, 0, 4),
            ("walk5", "walk5_256m", "walk5_hot", 5, 0, 5),
            ("walkpae", "walkpae_256m", "walkpae_hot", 3, 0, 2),
            ("walk2d_4x4", "walk2d_4x4_256m", "walk2d_4x4_hot", 4, 4, 24),
            ("walk2d_5x5", "walk2d_5x5_256m", "walk2d_5x5_hot", 5, 5, 35),
        };
        var all = new List<WalkFigure>();
        for (int i = 0; i < kinds.Length; i++)
        {
            var k = kinds[i];
            all.Add(new WalkFigure(k.Big, k.Levels, k.Ept, WalkSetSize.Big, 0, k.Reads, i));
            all.Add(new WalkFigure(k.Mid, k.Levels, k.Ept, WalkSetSize.Mid, 0, k.Reads, i));
            all.Add(new WalkFigure(k.Hot, k.Levels, k.Ept, WalkSetSize.Mid, 64, k.Reads, i));
        }

        return all;
    }
}
