using System.Net;
using Workbench.Interactive.Formatting;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Notebook.Decoding;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Notebook.Tests;

/// <summary>The report renderings over what the session's commands produce: every <c>#!mmu-fault</c> kind.</summary>
[Collection(SessionCollection.Name)]
public class SessionRenderingTests
{
    public SessionRenderingTests()
    {
        MmuKernelExtension.EnsureFormattersRegistered();
    }

    public static TheoryData<string> Kinds()
    {
        var kinds = new TheoryData<string>();
        foreach (string kind in FaultRecipes.Kinds)
        {
            kinds.Add(kind);
        }

        return kinds;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void every_fault_kind_renders_its_outcome_decoded(string kind)
    {
        Session.Reset();
        Session.Guest(vendor: kind == "npf" ? Vendor.Amd : Vendor.Intel);
        if (kind is "npf" or "ept-violation" or "ept-misconfig")
        {
            // The exits need an L2 under L1's EPT/NPT.
            Session.Nested();
        }

        FaultReport report = Session.Fault(kind);
        string html = WebUtility.HtmlDecode(Formatter.ToDisplayString(report, Formatter.HtmlMimeType));
        string text = Formatter.ToDisplayString(report);

        Assert.Contains(report.Explanation, html);
        Assert.StartsWith($"fault {kind}: {report.Explanation}", text);
        WalkResult result = report.Access.Result;
        if (result.Outcome == WalkOutcome.VmExit)
        {
            Assert.Contains(Bits.ExitReasonName(result.ExitReason), html);
            Assert.Contains($"{Bits.ExitInfoName(result.ExitReason)} {Bits.Hex(result.ExitInfo)}", text);
        }
        else
        {
            Assert.Equal(WalkOutcome.PageFault, result.Outcome);
            Assert.Contains($"#PF error code {Bits.Hex((ulong)result.ErrorCode)} [{Bits.ErrorCodeNames(result.ErrorCode)}]", text);
            Assert.Contains(Bits.ExplainErrorCode(result.ErrorCode), html);
        }

        int reads = report.Access.Trace.Count(e => e.Kind != TraceKind.Write);
        Assert.Contains($"walk: {reads} page-table read", html);
    }
}
