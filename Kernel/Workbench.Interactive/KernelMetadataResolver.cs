using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Scripting;

namespace Workbench.Interactive;

/// <summary>
/// Resolves <c>#r</c> paths and the dependencies of referenced libraries through Roslyn's script resolver, but
/// hands out one shared reference per file and reuses the kernel's own reference when a library brings a second
/// copy of an assembly the kernel already references (e.g. an extension built next to its own
/// Workbench.Interactive.dll). Two references with one identity would make every call into that assembly
/// ambiguous (CS0121).
/// </summary>
internal sealed class KernelMetadataResolver : MetadataReferenceResolver
{
    private readonly ScriptMetadataResolver _inner;
    private readonly IReadOnlyDictionary<string, MetadataReference> _known;

    public KernelMetadataResolver(string baseDirectory, IEnumerable<MetadataReference> knownReferences)
    {
        _inner = ScriptMetadataResolver.Default.WithBaseDirectory(baseDirectory).WithSearchPaths(baseDirectory);
        var known = new Dictionary<string, MetadataReference>(StringComparer.OrdinalIgnoreCase);
        foreach (MetadataReference reference in knownReferences)
        {
            if (reference is PortableExecutableReference { FilePath: { } path })
            {
                known.TryAdd(Path.GetFileNameWithoutExtension(path), reference);
            }
        }

        _known = known;
    }

    public override bool ResolveMissingAssemblies => _inner.ResolveMissingAssemblies;

    public override ImmutableArray<PortableExecutableReference> ResolveReference(string reference, string? baseFilePath, MetadataReferenceProperties properties)
    {
        ImmutableArray<PortableExecutableReference> resolved = _inner.ResolveReference(reference, baseFilePath, properties);
        if (properties != MetadataReferenceProperties.Assembly)
        {
            // Aliased or module references carry their own properties; share nothing for them.
            return resolved;
        }

        return resolved.Select(Share).ToImmutableArray();
    }

    public override PortableExecutableReference? ResolveMissingAssembly(MetadataReference definition, AssemblyIdentity referenceIdentity)
    {
        if (_known.TryGetValue(referenceIdentity.Name, out MetadataReference? known) && known is PortableExecutableReference existing)
        {
            return existing;
        }

        PortableExecutableReference? resolved = _inner.ResolveMissingAssembly(definition, referenceIdentity);
        return resolved is null ? null : Share(resolved);
    }

    public override bool Equals(object? other) => ReferenceEquals(this, other);

    public override int GetHashCode() => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this);

    private PortableExecutableReference Share(PortableExecutableReference reference)
    {
        if (reference.FilePath is not { } path)
        {
            return reference;
        }

        if (_known.TryGetValue(Path.GetFileNameWithoutExtension(path), out MetadataReference? known) && known is PortableExecutableReference existing)
        {
            return existing;
        }

        return DefaultReferences.FromFile(path) as PortableExecutableReference ?? reference;
    }
}
