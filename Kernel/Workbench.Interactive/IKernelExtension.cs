namespace Workbench.Interactive;

/// <summary>
/// An extension's entry point, called once per kernel when the kernel loads it (see
/// <see cref="Kernel.LoadExtensionAsync(string, Action{KernelEvent})"/>). Mirrors .NET Interactive's interface.
/// </summary>
public interface IKernelExtension
{
    /// <summary>Registers the extension's directives, formatters, references and usings with <paramref name="kernel"/>.</summary>
    Task OnLoadAsync(Kernel kernel);
}
