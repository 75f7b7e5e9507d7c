using System.Text.RegularExpressions;
using Workbench.Interactive.Formatting;
using Workbench.Mmu.Analysis;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Nested;
using Workbench.Mmu.Notebook.Formatting;
using Workbench.Mmu.Sweeps;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Notebook.Tests;

/// <summary>
/// The HTML of the <c>#!mmu-*</c> reports over real model values, compared with approved files (<see cref="Golden"/>),
/// plus the facts each must show. Embedded charts are replaced by a marker in the approved files (their div id is
/// random and plotly.js is embedded or not depending on the machine); <see cref="ChartTests"/> checks their data.
/// </summary>
public class ReportGoldenTests
{
    public ReportGoldenTests()
    {
        MmuKernelExtension.EnsureFormattersRegistered();
    }

    [Fact]
    public void guest_card_of_a_4level_guest()
    {
        string html = Verify(GuestCard.Of("first", Guests.FirstWalkVm(), steps: 2));
        Assert.Contains("guest first · L1 running · 4-level paging", html);
        Assert.Contains("<code>mmu</code> → <code>root_mmu</code>", html);
        Assert.Contains(">WP</span>", html);
    }

    [Fact]
    public void guest_card_of_l2_under_nested_ept()
    {
        (Vm vm, _) = ReportFixtures.Nested(NestedKind.Vmx);
        string html = Verify(GuestCard.Of("l2", vm));
        Assert.Contains("L2 running", html);
        Assert.Contains("VMX, L1 EPT: EPTP", html);
        Assert.Contains("4-level", html);
        Assert.Contains("L1 registers", html);
    }

    [Fact]
    public void access_report_2d_walk_over_ept_has_24_reads()
    {
        (Vm vm, _) = ReportFixtures.Nested(NestedKind.Vmx);
        AccessReport report = ReportFixtures.Access("l2", vm, AccessKind.Read, NestedSetup.Gva);
        Assert.True(report.Result.IsOk, report.Result.ToString());
        Assert.Equal(24, report.Trace.Count(e => e.Kind == TraceKind.Read));

        string html = Verify(report);
        Assert.Contains("walk: 24 page-table reads", html);
        Assert.Equal(20, Regex.Matches(html, "<td>EPT</td>").Count);
        Assert.Equal(4, Regex.Matches(html, "<td>guest</td>").Count);
        Assert.Contains("over L1's EPT 4-level", html);
        Assert.Contains("<!-- chart -->", html);
    }

    [Fact]
    public void access_report_ept_violation_names_the_qualification_bits()
    {
        (Vm vm, NestedSetup.Layout layout) = ReportFixtures.Nested(NestedKind.Vmx);
        // The data page's EPT PTE read-only (XWR = 001): an L2 write is an EPT violation (SDM 29.3.3.2).
        ReportFixtures.Poke(vm, layout.TdpEntryGpa(1), entry => (entry & ~7UL) | 1);
        AccessReport report = ReportFixtures.Access("l2", vm, AccessKind.Write, NestedSetup.Gva);
        Assert.Equal(ExitReason.EptViolation, report.Result.ExitReason);
        ulong qualification = EptViolation.AccRead | EptViolation.AccWrite | (1UL << EptViolation.RwxShift) | EptViolation.GvaIsValid | EptViolation.GvaTranslated;
        Assert.Equal(qualification, report.Result.ExitInfo);

        string html = Verify(report);
        Assert.Contains("EPT violation (exit reason 48)", html);
        foreach (string set in new[] { "write", "EPTE.R", "GVA valid", "final" })
        {
            Assert.Matches($"mmu-chip mmu-set\" title=\"[^\"]*\">{Regex.Escape(set)}</span>", html);
        }

        Assert.Matches("mmu-chip mmu-clear\" title=\"[^\"]*\">EPTE.W</span>", html);
        Assert.Contains("write of the final guest-physical address: the EPT entries allow only read", html);
        Assert.Contains("EPT violation (exit reason 48), exit qualification " + Bits(qualification), Formatter.ToDisplayString(report));
    }

    [Fact]
    public void access_report_npf_decodes_exit_info_1()
    {
        (Vm vm, NestedSetup.Layout layout) = ReportFixtures.Nested(NestedKind.Svm);
        // The data page's NPT PTE not present: an L2 read is a nested page fault on the final GPA (APM 15.25.6).
        ReportFixtures.Poke(vm, layout.TdpEntryGpa(1), entry => entry & ~1UL);
        AccessReport report = ReportFixtures.Access("l2", vm, AccessKind.Read, NestedSetup.Gva);
        Assert.Equal(ExitReason.Npf, report.Result.ExitReason);
        Assert.NotEqual(0UL, report.Result.ExitInfo & NestedPageFault.GuestFinal);

        string html = Verify(report);
        Assert.Contains("nested page fault (SVM exit 0x400)", html);
        Assert.Contains("EXITINFO1", html);
        Assert.Matches("mmu-chip mmu-set\" title=\"[^\"]*\">final GPA</span>", html);
        Assert.Matches("mmu-chip mmu-clear\" title=\"[^\"]*\">guest table</span>", html);
        Assert.Contains("read of the final guest-physical address: an NPT entry on the way is not present", html);
        Assert.Contains("<td>NPT</td>", html);
    }

    [Fact]
    public void access_report_page_fault_with_shadow_sptes()
    {
        Vm vm = Guests.FirstWalkVm();
        vm.BuildsPageTables = true;
        AccessReport ok = ReportFixtures.Access("first", vm, AccessKind.Read, 0x401234);
        Assert.True(ok.Result.IsOk);
        Assert.NotEmpty(ok.Sptes);

        AccessReport fault = ReportFixtures.Access("first", vm, AccessKind.Write, 0x401234, cpl: 3);
        Assert.Equal(WalkOutcome.PageFault, fault.Result.Outcome);
        string html = Verify(fault);
        Assert.Contains("#PF", html);
        Assert.Contains("user write: the entries forbid it (protection violation)", html);
        Assert.Contains("walk: 4 page-table reads", html);
        Assert.Contains("1-D", Formatter.ToDisplayString(AccessCharts.Walk(fault)));
    }

    [Fact]
    public void access_report_sptes_of_the_shadow_mmu()
    {
        Vm vm = Guests.FirstWalkVm();
        vm.BuildsPageTables = true;
        AccessReport report = ReportFixtures.Access("first", vm, AccessKind.Write, 0x401234);
        string html = Verify(report);
        Assert.Contains($"SPTEs created or changed: {report.Sptes.Length}", html);
        Assert.Contains("A 0→1, D 0→1", html);
        Assert.Contains(">new</span>", html);
    }

    [Fact]
    public void walk_report()
    {
        Vm vm = Guests.FirstWalkVm();
        var trace = new WalkTrace();
        WalkResult result = vm.Vcpu.Translate(0x401234, (ulong)PfErr.Write, trace);
        string html = Verify(new WalkReport("first", vm.Vcpu.Contexts.ActiveWalker.Name, 0x401234, (ulong)PfErr.Write, result, [.. trace.Entries]));
        Assert.Contains("gva_to_gpa 0x401234 through", html);
        Assert.Contains("ok", html);
    }

    [Fact]
    public void fault_report_explains_and_lists_changes()
    {
        (Vm vm, NestedSetup.Layout layout) = ReportFixtures.Nested(NestedKind.Vmx);
        ReportFixtures.Poke(vm, layout.TdpEntryGpa(2), entry => entry & ~7UL);
        AccessReport access = ReportFixtures.Access("l2", vm, AccessKind.Read, NestedSetup.Gva);
        var report = new FaultReport("ept-violation", ["EPT PDE of L2 GPA 0x8000200000 not present (XWR = 000)"], access,
            "L1's EPT has no entry for the page, so L2's read exits to L1 with an EPT violation.");
        string html = Verify(report);
        Assert.Contains("<li><code>EPT PDE of L2 GPA 0x8000200000 not present (XWR = 000)</code></li>", html);
        Assert.Contains("an EPT entry on the way is not present", html);
        Assert.StartsWith("fault ept-violation: L1's EPT has no entry", Formatter.ToDisplayString(report));
    }

    [Fact]
    public void dump_report_of_the_shadow_mmu()
    {
        Vm vm = Guests.FirstWalkVm();
        vm.BuildsPageTables = true;
        Assert.True(vm.Vcpu.Access(0x401234, AccessKind.Write, 0, false).IsOk);
        DumpReport dump = ReportFixtures.Dump("first", vm);
        Shadow.MmuDump mmu = Assert.Single(dump.Mmus);
        Assert.Equal(4, mmu.ShadowPages.Length);

        string html = Verify(dump);
        Assert.Contains("shadow pages: 4", html);
        Assert.Contains($"SPTEs: {mmu.ShadowPages.Sum(p => p.Sptes.Length)}", html);
        Assert.Contains("<strong>root_mmu</strong>", html);
        Assert.Contains(mmu.Mmu + ": root_role", Formatter.ToDisplayString(dump));
    }

    [Fact]
    public void dump_report_of_l2_under_nested_ept_shadows_l1s_ept()
    {
        (Vm vm, _) = ReportFixtures.Nested(NestedKind.Vmx);
        vm.BuildsPageTables = true;
        Assert.True(vm.Vcpu.Access(NestedSetup.Gva, AccessKind.Read, 0, false).IsOk);
        DumpReport dump = ReportFixtures.Dump("l2", vm);

        // guest_mmu shadows L1's EPT for L2 (6.12 nested_ept_init_mmu_context): one shadow page per EPT table.
        Assert.Equal("guest_mmu", dump.Mmus[0].Mmu);
        Assert.All(dump.Mmus[0].ShadowPages, p => Assert.False(p.Direct));

        string html = Verify(dump);
        Assert.Contains("<strong>guest_mmu</strong>", html);
        Assert.Contains($"shadow pages: {dump.Mmus[0].ShadowPages.Length}", html);
        Assert.Contains("guest_mode", html);
    }

    [Fact]
    public void sweep_outcomes_summary()
    {
        SweepOutcomes outcomes = SweepOutcomes.Compute(new AccessSweepOptions(Shard: new AccessShard(0, 509)));
        Assert.Equal(0, outcomes.Sweep.Mismatches);
        string html = Verify(Stable(outcomes));
        Assert.Contains("model agrees", html);
        Assert.Contains($"{outcomes.Sweep.CasesRun:N0} cases run", html);
        Assert.Contains("<code>pde.p</code>", html);
        Assert.DoesNotContain("<code>fep</code>", html);
        Assert.Contains(" 0x5 P U ", Formatter.ToDisplayString(outcomes));
    }

    [Fact]
    public void every_report_has_plain_text_and_html()
    {
        foreach (Type type in new[] { typeof(GuestCard), typeof(AccessReport), typeof(WalkReport), typeof(FaultReport), typeof(DumpReport), typeof(SweepOutcomes) })
        {
            Assert.Contains(type, MmuFormatters.FormattedTypes);
        }

        IReadOnlyDictionary<string, string> bundle = Formatter.ToFormattedValues(GuestCard.Of("first", Guests.FirstWalkVm()));
        Assert.Equal(new[] { "text/html", "text/plain" }, bundle.Keys.Order());
        Assert.StartsWith("guest first: L1 running, 4-level paging", bundle["text/plain"]);
    }

    [Fact]
    public void reports_leave_their_charts_out_when_asked()
    {
        Vm vm = Guests.FirstWalkVm();
        AccessReport report = ReportFixtures.Access("first", vm, AccessKind.Read, 0x401234);
        Assert.Contains("class=\"mmu-chart\"", Formatter.ToDisplayString(report, Formatter.HtmlMimeType));
        try
        {
            MmuHtml.EmbedCharts = false;
            string html = Formatter.ToDisplayString(report, Formatter.HtmlMimeType);
            Assert.DoesNotContain("mmu-chart", html);
            Assert.Contains("walk: 4 page-table reads", html);
        }
        finally
        {
            MmuHtml.EmbedCharts = true;
        }
    }

    [Fact]
    public void names_from_the_session_are_encoded()
    {
        string html = Formatter.ToDisplayString(GuestCard.Of("<b>x</b>", Guests.FirstWalkVm()), Formatter.HtmlMimeType);
        Assert.DoesNotContain("<b>x</b>", html);
        Assert.Contains("&lt;b&gt;x&lt;/b&gt;", html);
    }

    // The elapsed time is the only field of a sweep that changes from run to run.
    private static SweepOutcomes Stable(SweepOutcomes outcomes) => outcomes with { Sweep = outcomes.Sweep with { Elapsed = TimeSpan.FromSeconds(1) } };

    private static string Bits(ulong value) => "0x" + value.ToString("x", System.Globalization.CultureInfo.InvariantCulture);

    private static string Verify<T>(T value, [System.Runtime.CompilerServices.CallerMemberName] string testName = "")
        => GoldenRendering.Verify(value, nameof(ReportGoldenTests), testName);
}
