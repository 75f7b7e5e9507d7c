namespace Workbench.Cli;

/// <summary>The private Jupyter setup of a <c>notebooks</c> run: its folder and the environment for Python.</summary>
internal sealed record NotebooksJupyter(string Directory, IReadOnlyDictionary<string, string?> ProcessEnvironment)
{
    /// <summary>
    /// Environment that keeps Jupyter inside <paramref name="directory"/>: its kernelspecs first, its own
    /// runtime folder for connection files, and an empty config folder so a user's ~/.jupyter settings
    /// cannot change how reports are made.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> Environment(string directory, string? jupyterPath = null)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["JUPYTER_RUNTIME_DIR"] = Path.Combine(directory, "runtime"),
            ["JUPYTER_CONFIG_DIR"] = Path.Combine(directory, "config"),
        };
        if (jupyterPath is not null)
        {
            environment["JUPYTER_PATH"] = jupyterPath;
        }

        return environment;
    }
}
