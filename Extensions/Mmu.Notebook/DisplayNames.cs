using Workbench.Mmu.Analysis;

namespace Workbench.Mmu.Notebook;

/// <summary>
/// The session's one display setting for names (<c>#!mmu-naming --scheme X</c>, <see cref="Variants.UseNaming"/>):
/// the renderings print every MMU object, walker and pointer target through <see cref="Mmu"/> and
/// <see cref="Walker"/>, so a naming scheme (<c>datasets/naming/*.json</c>) renames them in every later output. With
/// no scheme (the default, and <c>--scheme none</c>) every name maps to itself, so the renderings are unchanged.
/// </summary>
/// <remarks>
/// The mapping is by object name: a scheme names the objects of its own organization (<see cref="NamingScheme.Variant"/>),
/// and an object of another organization with the same name is renamed alike (the shared names, <c>root_mmu</c>,
/// <c>guest_mmu</c>, <c>nested_mmu</c>, are the same <c>struct kvm_mmu</c> roles everywhere). The guest card says so
/// when its organization is not the scheme's. Process-wide like the session's guests.
/// </remarks>
public static class DisplayNames
{
    /// <summary>The part of a 6.12 <c>kvm_mmu</c> that builds page tables (what <c>vcpu-&gt;arch.mmu</c> designates).</summary>
    public const string MmuPart = "mmu";

    /// <summary>The walking half (what <c>walk_mmu</c> designates; a chainsaw <c>kvm_pagewalk</c>).</summary>
    public const string WalkPart = "walk";

    /// <summary>The whole object (a name that does not tell the halves apart; charts of whole objects use it).</summary>
    public const string AnyPart = "any";

    /// <summary>A scheme entry that names a pointer (<c>arch.walk_mmu</c>), not an object.</summary>
    public const string PointerPart = "pointer";

    private static volatile NamingScheme? s_scheme;

    /// <summary>The scheme in use, or <see langword="null"/> for the organizations' own names.</summary>
    public static NamingScheme? Scheme => s_scheme;

    /// <summary>Uses <paramref name="scheme"/>'s names from now on; <see langword="null"/> goes back to the organizations' own.</summary>
    public static void Use(NamingScheme? scheme) => s_scheme = scheme;

    /// <summary>The scheme's name for the table-building part of the object <paramref name="name"/>.</summary>
    public static string Mmu(string name) => Of(name, MmuPart);

    /// <summary>The scheme's name for the walking part of the object <paramref name="name"/>.</summary>
    public static string Walker(string name) => Of(name, WalkPart);

    /// <summary>
    /// The scheme's name for <paramref name="part"/> (<c>mmu</c>, <c>walk</c> or <c>any</c>) of the object
    /// <paramref name="name"/>: a name given for exactly that part wins over one given for <c>any</c> part; an object
    /// the scheme does not name keeps its name.
    /// </summary>
    public static string Of(string name, string part)
    {
        if (s_scheme is not { } scheme || string.IsNullOrEmpty(name))
        {
            return name;
        }

        SchemeName? any = null;
        foreach (SchemeName entry in scheme.Names)
        {
            if (entry.Object != name)
            {
                continue;
            }

            if (entry.Part == part)
            {
                return entry.Name;
            }

            if (entry.Part == AnyPart)
            {
                any = entry;
            }
        }

        return any?.Name ?? name;
    }

    /// <summary>The scheme's name for a pointer of the organization (<c>walk_mmu</c> → <c>walk</c>): entries with part <c>pointer</c>.</summary>
    public static string Pointer(string pointer) => Of(pointer, PointerPart);

    /// <summary>What a pointer designates, in the scheme's names: <c>mmu</c> designates a table builder, the others a walker.</summary>
    public static string PointerTarget(string pointer, string target) => pointer == MmuPart ? Mmu(target) : Walker(target);

    /// <summary>
    /// The line that says which names an output uses (<c>names: walk01-walk12 (seed 003…)</c>), or <see langword="null"/>
    /// with no scheme; notes when <paramref name="variant"/> is not the organization the scheme was written for.
    /// </summary>
    public static string? Note(string? variant = null)
    {
        if (s_scheme is not { } scheme)
        {
            return null;
        }

        string other = variant is not null && variant != scheme.Variant
            ? $"; written for organization {scheme.Variant}, this is {variant}: only the names they share are renamed"
            : string.Empty;
        return $"names: {scheme.Scheme} ({scheme.Source}){other}";
    }
}
