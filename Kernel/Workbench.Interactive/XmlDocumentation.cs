using System.Globalization;
using System.Xml;
using Microsoft.CodeAnalysis;

namespace Workbench.Interactive;

/// <summary>
/// Reads a compiler-generated XML documentation file on first use (Roslyn's own file-based provider lives in
/// the Workspaces layer, which this kernel does not load). Only inspection asks for documentation, so a kernel
/// that is never inspected never reads the (multi-megabyte) files.
/// </summary>
internal sealed class XmlDocumentation : DocumentationProvider
{
    private readonly string _path;
    private readonly Lazy<Dictionary<string, string>> _members;

    public XmlDocumentation(string path)
    {
        _path = path;
        _members = new Lazy<Dictionary<string, string>>(Load);
    }

    protected override string? GetDocumentationForSymbol(string documentationMemberID, CultureInfo preferredCulture, CancellationToken cancellationToken = default) =>
        _members.Value.TryGetValue(documentationMemberID, out string? xml) ? xml : null;

    public override bool Equals(object? obj) => obj is XmlDocumentation other && other._path == _path;

    public override int GetHashCode() => _path.GetHashCode(StringComparison.Ordinal);

    private Dictionary<string, string> Load()
    {
        var members = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using XmlReader reader = XmlReader.Create(_path, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, IgnoreWhitespace = false });
            while (reader.Read())
            {
                if (reader.NodeType == XmlNodeType.Element && reader.Name == "member" && reader.GetAttribute("name") is { } name)
                {
                    members[name] = reader.ReadOuterXml();
                    // ReadOuterXml already moved to the next node; re-examine it without another Read.
                    while (reader.NodeType == XmlNodeType.Element && reader.Name == "member" && reader.GetAttribute("name") is { } next)
                    {
                        members[next] = reader.ReadOuterXml();
                    }
                }
            }
        }
        catch (Exception exception) when (exception is IOException or XmlException or UnauthorizedAccessException)
        {
            // Missing or malformed docs only mean inspection shows signatures without summaries.
        }

        return members;
    }
}
