using Microsoft.CodeAnalysis;
using System.Reflection;
using System.Runtime.Loader;

namespace Workbench.Interactive;

public partial class Kernel
{
    private readonly HashSet<string> _loadedExtensions = new(StringComparer.Ordinal);

    /// <summary>
    /// Loads extensions from a <c>.dll</c> or from a directory (every top-level <c>*.dll</c>; a package's
    /// <c>interactive-extensions/dotnet</c> folder is used when present): every public, non-abstract
    /// <see cref="IKernelExtension"/> with a parameterless constructor is created and its
    /// <see cref="IKernelExtension.OnLoadAsync"/> called, and each loaded assembly becomes referencable from cells.
    /// An extension that was already loaded is skipped.
    /// </summary>
    /// <param name="path">A directory or an assembly file.</param>
    /// <param name="onEvent">Receives what the extensions display while loading, and the error if one fails.</param>
    /// <returns>False (after one <see cref="ErrorProduced"/>) when something could not be loaded.</returns>
    public async Task<bool> LoadExtensionAsync(string path, Action<KernelEvent> onEvent)
    {
        ArgumentNullException.ThrowIfNull(onEvent);
        return await RunOutsideCellAsync(onEvent, context => LoadFromPathAsync(context, path)).ConfigureAwait(false);
    }

    /// <summary>Loads an extension object directly (for hosts and tests that already have one).</summary>
    /// <returns>False (after one <see cref="ErrorProduced"/>) when <see cref="IKernelExtension.OnLoadAsync"/> threw.</returns>
    public async Task<bool> LoadExtensionAsync(IKernelExtension extension, Action<KernelEvent> onEvent)
    {
        ArgumentNullException.ThrowIfNull(extension);
        ArgumentNullException.ThrowIfNull(onEvent);
        return await RunOutsideCellAsync(onEvent, context => LoadExtensionTypeAsync(context, extension.GetType(), extension, "(object)")).ConfigureAwait(false);
    }

    /// <summary>Synchronous form of <see cref="LoadExtensionAsync(string, Action{KernelEvent})"/>; events are dropped unless <paramref name="onEvent"/> is given.</summary>
    public bool LoadExtensionsFrom(string directoryOrAssembly, Action<KernelEvent>? onEvent = null) =>
        LoadExtensionAsync(directoryOrAssembly, onEvent ?? (_ => { })).GetAwaiter().GetResult();

    /// <summary>Runs extension loading as its own "submission" so that it never interleaves with a cell.</summary>
    private async Task<bool> RunOutsideCellAsync(Action<KernelEvent> onEvent, Func<KernelInvocationContext, Task<bool>> work)
    {
        try
        {
            await WarmUpAsync().ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            // Extensions can load without a C# session; the first cell reports the failure.
            _warmUpError = exception;
        }

        bool nested = KernelInvocationContext.Current is { IsCompleted: false } current && current.Kernel == this && _active == current;
        if (nested)
        {
            // Called from a cell or directive (e.g. a #!load-style directive): the gate is already held.
            return await work(KernelInvocationContext.Current!).ConfigureAwait(false);
        }

        await _submissionGate.WaitAsync().ConfigureAwait(false);
        var context = new KernelInvocationContext(this, onEvent, CancellationToken.None);
        KernelInvocationContext? previous = KernelInvocationContext.SetCurrent(context);
        try
        {
            lock (_interruptGate)
            {
                ScriptInterrupt.Clear(_id);
                _interruptSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _active = context;
            }

            bool ok = await work(context).ConfigureAwait(false);
            return ok && !context.HasFailed;
        }
        catch (Exception exception)
        {
            context.Fail("ExtensionLoadError", $"Failed to load kernel extension: {exception.Message}", ExceptionFormatter.Format(exception));
            return false;
        }
        finally
        {
            context.Complete();
            lock (_interruptGate)
            {
                _active = null;
                _interruptSignal = null;
                ScriptInterrupt.Clear(_id);
            }

            KernelInvocationContext.SetCurrent(previous);
            _submissionGate.Release();
        }
    }

    private async Task<bool> LoadFromPathAsync(KernelInvocationContext context, string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            context.Fail("ExtensionLoadError", "Failed to load kernel extension: no path was given.", new[] { "ExtensionLoadError: no path was given." });
            return false;
        }

        string fullPath = Path.GetFullPath(path, _workingDirectory);
        string[] files;
        bool singleFile = false;
        if (Directory.Exists(fullPath))
        {
            string packaged = Path.Combine(fullPath, "interactive-extensions", "dotnet");
            string folder = Directory.Exists(packaged) ? packaged : fullPath;
            files = Directory.GetFiles(folder, "*.dll", SearchOption.TopDirectoryOnly).OrderBy(f => f, StringComparer.Ordinal).ToArray();
            if (files.Length == 0)
            {
                return Fail(context, fullPath, $"the directory contains no .dll files.");
            }
        }
        else if (File.Exists(fullPath))
        {
            files = new[] { fullPath };
            singleFile = true;
        }
        else
        {
            return Fail(context, fullPath, "no such file or directory.");
        }

        int found = 0;
        foreach (string file in files)
        {
            Assembly assembly;
            try
            {
                assembly = LoadAssembly(file);
            }
            catch (Exception exception) when (exception is BadImageFormatException or FileLoadException or FileNotFoundException)
            {
                if (singleFile)
                {
                    return Fail(context, file, $"it is not a loadable .NET assembly ({exception.Message}).");
                }

                // A directory may hold native or satellite files next to the extension; skip what is not managed.
                continue;
            }

            int? loaded = await LoadExtensionsInAssemblyAsync(context, assembly, file).ConfigureAwait(false);
            if (loaded is null)
            {
                return false;
            }

            found += loaded.Value;
        }

        if (found == 0)
        {
            return Fail(context, fullPath, $"no public class implementing {typeof(IKernelExtension).FullName} with a parameterless constructor was found.");
        }

        return true;
    }

    /// <summary>
    /// Loads the extensions of every assembly a cell referenced with <c>#r</c> (the one-line load: <c>#r "X.dll"</c>
    /// of an assembly that contains an <see cref="IKernelExtension"/> loads it, as a package's extension folder does
    /// in .NET Interactive). Assemblies without extensions are plain references and nothing happens.
    /// </summary>
    private async Task LoadExtensionsFromDirectiveReferencesAsync(KernelInvocationContext context, Compilation compilation)
    {
        foreach (MetadataReference reference in compilation.DirectiveReferences)
        {
            if (reference is not PortableExecutableReference { FilePath: { } file } || context.HasFailed)
            {
                continue;
            }

            // Prefer the copy the script loader already loaded for this cell, so the extension sees the same types
            // as the cell's code; otherwise load it as LoadExtensionAsync would.
            Assembly? assembly = AppDomain.CurrentDomain.GetAssemblies()
                .FirstOrDefault(a => !a.IsDynamic && string.Equals(a.Location, file, StringComparison.Ordinal));
            try
            {
                assembly ??= LoadAssembly(file);
            }
            catch (Exception exception) when (exception is BadImageFormatException or FileLoadException or FileNotFoundException)
            {
                // The compiler accepted it as a reference; an assembly that cannot be loaded for execution is
                // reported by the cell itself when its types are used.
                continue;
            }

            await LoadExtensionsInAssemblyAsync(context, assembly, file).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Creates and loads every public <see cref="IKernelExtension"/> with a parameterless constructor in
    /// <paramref name="assembly"/>. Returns how many it found, or null after reporting a failure.
    /// </summary>
    private async Task<int?> LoadExtensionsInAssemblyAsync(KernelInvocationContext context, Assembly assembly, string file)
    {
        Type[] types;
        try
        {
            types = assembly.GetExportedTypes();
        }
        catch (Exception exception) when (exception is ReflectionTypeLoadException or FileNotFoundException or FileLoadException)
        {
            Fail(context, file, $"its types could not be loaded ({exception.Message}). Is a dependency missing next to it?");
            return null;
        }

        Type[] extensionTypes = types
            .Where(t => typeof(IKernelExtension).IsAssignableFrom(t) && t.IsClass && !t.IsAbstract && t.GetConstructor(Type.EmptyTypes) is not null)
            .ToArray();
        if (extensionTypes.Length > 0)
        {
            AddAssemblyReference(assembly);
        }

        foreach (Type type in extensionTypes)
        {
            if (!await LoadExtensionTypeAsync(context, type, null, file).ConfigureAwait(false))
            {
                return null;
            }
        }

        return extensionTypes.Length;
    }

    private async Task<bool> LoadExtensionTypeAsync(KernelInvocationContext context, Type type, IKernelExtension? instance, string source)
    {
        string key = type.AssemblyQualifiedName ?? type.FullName ?? type.Name;
        lock (_loadedExtensions)
        {
            if (_loadedExtensions.Contains(key))
            {
                return true;
            }
        }

        try
        {
            instance ??= (IKernelExtension)Activator.CreateInstance(type)!;
            await instance.OnLoadAsync(this).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            Exception cause = exception is TargetInvocationException { InnerException: { } inner } ? inner : exception;
            string message = $"Failed to load kernel extension {type.FullName} from {source}: {cause.GetType().Name}: {cause.Message}";
            var traceback = new List<string> { "ExtensionLoadError: " + message };
            traceback.AddRange(ExceptionFormatter.Format(cause).Skip(1));
            context.Fail("ExtensionLoadError", message, traceback);
            return false;
        }

        lock (_loadedExtensions)
        {
            _loadedExtensions.Add(key);
        }

        return true;
    }

    private static bool Fail(KernelInvocationContext context, string path, string reason)
    {
        string message = $"Failed to load kernel extension from {path}: {reason}";
        context.Fail("ExtensionLoadError", message, new[] { "ExtensionLoadError: " + message });
        return false;
    }

    /// <summary>Loads into the default context, reusing an assembly of the same name that is already loaded.</summary>
    private static Assembly LoadAssembly(string file)
    {
        AssemblyName name = AssemblyName.GetAssemblyName(file);
        Assembly? loaded = AssemblyLoadContext.Default.Assemblies
            .FirstOrDefault(a => AssemblyName.ReferenceMatchesDefinition(name, a.GetName()) && string.Equals(a.GetName().Name, name.Name, StringComparison.OrdinalIgnoreCase));
        return loaded ?? AssemblyLoadContext.Default.LoadFromAssemblyPath(file);
    }
}
