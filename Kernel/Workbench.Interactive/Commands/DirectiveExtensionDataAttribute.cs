namespace Workbench.Interactive.Commands;

/// <summary>
/// Marks a <c>Dictionary&lt;string, string&gt;</c> property of a <see cref="KernelDirectiveCommand"/> that receives every
/// parameter without a property of its own, keyed by its camel-cased name (<c>--l1-tdp</c> → <c>l1Tdp</c>; a flag's
/// value is <c>"true"</c>, a repeated parameter's values are joined with newlines). It lets one command type serve
/// many directives, as System.Text.Json's <c>[JsonExtensionData]</c> does in .NET Interactive's binding.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = true)]
public sealed class DirectiveExtensionDataAttribute : Attribute
{
}
