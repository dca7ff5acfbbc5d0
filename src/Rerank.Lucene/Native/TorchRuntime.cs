using System.Runtime.InteropServices;
using SearchRerank.Build;
using TorchSharp;
using static TorchSharp.torch;

namespace Rerank.Lucene.Native;

/// <summary>
/// Starts TorchSharp's native runtime with a clear error when it cannot load, picks the device
/// (<c>auto|cpu|cuda</c>) and sets the CPU thread count.
/// </summary>
/// <example>
/// <code>
/// TorchRuntime.EnsureLoaded();
/// TorchRuntime.SetThreads(2);
/// var device = TorchRuntime.SelectDevice("auto"); // cuda when available, else cpu
/// </code>
/// </example>
public static class TorchRuntime
{
    private static readonly Lock Gate = new();
    private static bool _loaded;

    /// <summary>
    /// Loads libtorch and TorchSharp's native glue (libLibTorchSharp) once.
    /// </summary>
    /// <exception cref="InvalidInputException">
    /// The native library does not load. The message looks at the copy of libLibTorchSharp.so beside the
    /// program and says what helps (the ELF fix did not run on it and why that happens, or that the file
    /// is missing, or that something else is missing); the inner exception holds the loader's own message.
    /// </exception>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_loaded) return;
            // Checked before TorchSharp is asked: when its native files are not beside the program, TorchSharp prints a trace to
            // stdout and copies libtorch (about 500 MB) from the NuGet cache into the program's folder to try again.
            if (AbsentNativeFiles(AppContext.BaseDirectory, OperatingSystem.IsLinux()) is { } absent)
                throw new InvalidInputException(absent.Message, absent.Path);
            // Files that are there but do not load (a damaged or mismatched libtorch_cpu.so) send TorchSharp to the same
            // fallback, so the dynamic loader is asked first; the glue it loads stays loaded for TorchSharp to find.
            if (OperatingSystem.IsLinux() && PreloadGlue(AppContext.BaseDirectory) is { } refused)
                throw new InvalidInputException(refused.Message, refused.Path);
            try
            {
                InitializeDeviceType(DeviceType.CPU);
                using var probe = ones(1);
            }
            catch (Exception e) when (e is DllNotFoundException or NotSupportedException or TypeInitializationException
                                          or EntryPointNotFoundException or BadImageFormatException or ExternalException)
            {
                throw new InvalidInputException(LoadFailureMessage(e), NativeLibraryPath, inner: e);
            }

            _loaded = true;
        }
    }

    /// <summary>
    /// Loads libtorch as <see cref="EnsureLoaded"/> does for a use that needs it, <paramref name="use"/>, naming that use
    /// in the one message given when it cannot load (for the CLIs: exit code 2).
    /// </summary>
    /// <param name="use">What needs libtorch, e.g. "The TorchSharp engine (--engine torchsharp)".</param>
    /// <exception cref="InvalidInputException">libtorch does not load: "USE needs libtorch, ..." and the diagnosis of <see cref="EnsureLoaded"/>.</exception>
    public static void Require(string use)
    {
        try
        {
            EnsureLoaded();
        }
        catch (InvalidInputException e)
        {
            throw new InvalidInputException($"{use} needs libtorch. {e.Message}", e.Path, inner: e.InnerException);
        }
    }

    /// <summary>
    /// Whether libtorch loads: null when it does (it is then loaded), else a short reason for logs, e.g.
    /// "libtorch_cpu.so (package libtorch-cpu-linux-x64) is not beside this program". A program that only runs ONNX Runtime
    /// on the CPU asks this for <c>--device auto</c> and, when it cannot load, takes the CPU.
    /// </summary>
    public static string? LoadFailure()
    {
        if (AbsentNativeFiles(AppContext.BaseDirectory, OperatingSystem.IsLinux()) is { } absent) return absent.Short;
        try
        {
            EnsureLoaded();
            return null;
        }
        catch (InvalidInputException e)
        {
            var detail = (e.InnerException ?? e).Message;
            return $"TorchSharp's native library does not load ({detail.Split('\n', 2)[0].Trim()})";
        }
    }

    /// <summary>
    /// On Linux, the first of TorchSharp's native files missing beside the program (in <paramref name="baseDirectory"/>, or
    /// its <c>runtimes/linux-x64/native</c>): libLibTorchSharp.so (package TorchSharp), then libtorch's own libraries beside
    /// it (<see cref="LibTorchFiles"/>, package libtorch-cpu-linux-x64). Null when all are there, or on another system.
    /// </summary>
    /// <returns>A short reason for logs, the full message naming the file and the package that brings it, and the path looked at.</returns>
    internal static (string Short, string Message, string Path)? AbsentNativeFiles(string baseDirectory, bool isLinux)
    {
        if (!isLinux) return null;
        var candidates = NativeLibraryCandidates(baseDirectory);
        var glue = candidates.FirstOrDefault(File.Exists);
        if (glue is null)
            return ("libLibTorchSharp.so (package TorchSharp) is not beside this program",
                "TorchSharp's native library could not be loaded. " + Diagnose(baseDirectory, [], isLinux), candidates[0]);
        var folder = System.IO.Path.GetDirectoryName(glue) ?? ".";
        var missing = LibTorchFiles.FirstOrDefault(f => !File.Exists(System.IO.Path.Combine(folder, f)));
        if (missing is null) return null;
        return ($"{missing} (package libtorch-cpu-linux-x64) is not beside this program",
            $"libtorch could not be loaded: {missing} is not beside {glue}. libtorch's libraries come from the libtorch-cpu-linux-x64 "
            + "package (libtorch 2.10.0), and this program was built or published without them (a PackageReference to it with "
            + "ExcludeAssets, or the files removed). Searching with ONNX Runtime on the CPU (the default engine) does not need them; "
            + "the TorchSharp engine, CUDA, bf16 and training do: reference libtorch-cpu-linux-x64 (or TorchSharp's CUDA libtorch package) "
            + "from the program and build it again.",
            System.IO.Path.Combine(folder, missing));
    }

    /// <summary>
    /// Whether libtorch's CUDA library (libtorch_cuda.so, from TorchSharp's CUDA libtorch packages; the CPU package has none) is
    /// beside the program's libLibTorchSharp.so: without it <c>torch.cuda.is_available()</c> is false, so <c>--device auto</c>
    /// need not load libtorch to ask.
    /// </summary>
    internal static bool HasCudaLibrary(string baseDirectory)
    {
        var glue = NativeLibraryCandidates(baseDirectory).FirstOrDefault(File.Exists);
        return glue is not null && File.Exists(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(glue) ?? ".", "libtorch_cuda.so"));
    }

    /// <summary>The libraries of the libtorch-cpu-linux-x64 package that libLibTorchSharp.so loads.</summary>
    internal static IReadOnlyList<string> LibTorchFiles { get; } = ["libtorch.so", "libtorch_cpu.so", "libc10.so"];

    /// <summary>
    /// The device for a <c>--device</c> option: "cpu", "cuda" (or "cuda:N"), or "auto" (the default:
    /// CUDA when <c>torch.cuda.is_available()</c>, else CPU). Loads the runtime first.
    /// </summary>
    /// <param name="choice">auto, cpu, cuda or cuda:N (case-insensitive).</param>
    /// <exception cref="InvalidInputException">The choice is unknown, or CUDA is asked for but not available.</exception>
    public static Device SelectDevice(string choice)
    {
        EnsureLoaded();
        var normalized = (choice ?? "auto").Trim().ToLowerInvariant();
        if (normalized == "auto") return cuda.is_available() ? CUDA : CPU;
        if (normalized == "cpu") return CPU;
        if (normalized == "cuda" || normalized.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
            {
                throw new InvalidInputException(
                    $"Device '{choice}' was requested but CUDA is not available: this build references the CPU libtorch package "
                    + "(libtorch-cpu-linux-x64), or no GPU/driver is present. Use --device cpu, or replace the package reference with "
                    + "libtorch-cuda-12.8-linux-x64 (same libtorch version) on a machine with an NVIDIA driver and rebuild.");
            }

            return new Device(normalized);
        }

        throw new InvalidInputException($"Unknown device '{choice}'; expected auto, cpu, cuda or cuda:N.");
    }

    /// <summary>Sets the number of CPU threads libtorch uses for intra-op parallelism.</summary>
    /// <param name="threads">A positive count; typically the number of physical cores.</param>
    /// <exception cref="InvalidInputException"><paramref name="threads"/> is not positive.</exception>
    public static void SetThreads(int threads)
    {
        if (threads <= 0) throw new InvalidInputException($"Thread count must be positive; got {threads}.");
        EnsureLoaded();
        set_num_threads(threads);
    }

    private static string NativeLibraryPath =>
        NativeLibraryCandidates(AppContext.BaseDirectory).FirstOrDefault(File.Exists) ?? NativeLibraryCandidates(AppContext.BaseDirectory)[0];

    /// <summary>Where TorchSharp's native glue sits in a program's output: portable builds, then RID-specific ones.</summary>
    internal static string[] NativeLibraryCandidates(string baseDirectory) =>
    [
        Path.Combine(baseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"),
        Path.Combine(baseDirectory, "libLibTorchSharp.so"),
    ];

    internal static string LoadFailureMessage(Exception e) =>
        LoadFailureMessage(e, AppContext.BaseDirectory, ElfVersionNeedPatcher.SystemLibstdcxxCandidates, OperatingSystem.IsLinux(), LoaderError);

    /// <summary>
    /// On Linux, loads TorchSharp's glue (libLibTorchSharp.so, found as <see cref="AbsentNativeFiles"/> finds it under
    /// <paramref name="baseDirectory"/>) with the dynamic loader, which also loads the libtorch libraries beside it, and keeps
    /// it loaded. Null when it loads (or is not there: <see cref="AbsentNativeFiles"/> reports that); else the message for a
    /// glue that is present and refused, naming the file, what the loader says (e.g. "libtorch_cpu.so: invalid ELF header")
    /// and what helps, and the path of the glue.
    /// </summary>
    internal static (string Message, string Path)? PreloadGlue(string baseDirectory)
    {
        var glue = NativeLibraryCandidates(baseDirectory).FirstOrDefault(File.Exists);
        if (glue is null) return null;
        try
        {
            NativeLibrary.Load(glue);
            return null;
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            return ("TorchSharp's native library could not be loaded. "
                + Diagnose(baseDirectory, ElfVersionNeedPatcher.SystemLibstdcxxCandidates, isLinux: true)
                + $"\nThe dynamic loader says: {e.Message.Trim()}", glue);
        }
    }

    /// <summary>What the dynamic loader says about <paramref name="file"/> (null when it loads).</summary>
    private static string? LoaderError(string file)
    {
        try
        {
            NativeLibrary.Free(NativeLibrary.Load(file));
            return null;
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// The message for a native load failure: looks at the copy of libLibTorchSharp.so beside the program
    /// (under <paramref name="baseDirectory"/>), says what helps in that case, then what the dynamic loader
    /// says about that file (<paramref name="loaderError"/>, null when it loads) and TorchSharp's own message.
    /// </summary>
    internal static string LoadFailureMessage(
        Exception e, string baseDirectory, IEnumerable<string> libstdcxxCandidates, bool isLinux, Func<string, string?> loaderError)
    {
        var detail = e.InnerException is { } inner ? $"{e.Message} ({inner.Message})" : e.Message;
        var file = isLinux ? NativeLibraryCandidates(baseDirectory).FirstOrDefault(File.Exists) : null;
        var loader = file is null ? null : loaderError(file);
        return "TorchSharp's native library could not be loaded. " + Diagnose(baseDirectory, libstdcxxCandidates, isLinux) + "\n"
            + (loader is null ? "" : $"The dynamic loader says: {loader}\n")
            + "TorchSharp's message: " + detail;
    }

    private static string Diagnose(string baseDirectory, IEnumerable<string> libstdcxxCandidates, bool isLinux)
    {
        if (!isLinux)
        {
            return "SearchRerank.Lucene brings the Linux x64 CPU libtorch (libtorch-cpu-linux-x64). On another system, add "
                + "TorchSharp's libtorch package for it to your program (e.g. libtorch-cpu-win-x64 or libtorch-cpu-osx-arm64, "
                + "libtorch 2.10.0) and build it again.";
        }

        var candidates = NativeLibraryCandidates(baseDirectory);
        var file = candidates.FirstOrDefault(File.Exists);
        if (file is null)
        {
            return $"libLibTorchSharp.so is not beside this program (looked for {candidates[0]} and {candidates[1]}). "
                + "The TorchSharp and libtorch-cpu-linux-x64 packages bring it, as dependencies of SearchRerank.Lucene, when the "
                + "program's own project (or a project it references) references SearchRerank.Lucene. Build or publish that "
                + "project for linux-x64 (portable, or -r linux-x64) and run the program from its output or publish folder. "
                + "Searching with ONNX Runtime on the CPU (the default engine) needs neither; the TorchSharp engine, CUDA, bf16 and training do.";
        }

        const string version = ElfVersionNeedPatcher.DefaultVersionName;
        ElfVersionNeed? need;
        try
        {
            need = ElfVersionNeedPatcher.ReadVersionNeeds(File.ReadAllBytes(file), file).FirstOrDefault(n => n.Name == version);
        }
        catch (Exception read) when (read is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return $"The copy at {file} cannot be read as an ELF file ({read.Message}). Build or publish the program "
                + "again to replace it with the package's file.";
        }

        var weak = need is not null && (need.Flags & ElfVersionNeedPatcher.VerFlagWeak) != 0;
        if (need is not null && !weak && !ElfVersionNeedPatcher.SystemProvidesVersion(version, libstdcxxCandidates))
        {
            return $"The copy at {file} still requires {version}, which this system's libstdc++ does not define "
                + "(Debian 12 and other GCC 12 systems). SearchRerank.Lucene's build step marks that requirement weak in the "
                + "program's output and publish folders (targets PatchTorchSharpElfInOutput and PatchTorchSharpElfInPublish in "
                + "the package's buildTransitive/SearchRerank.Lucene.targets), and it did not run for this copy. What helps:\n"
                + "- Reference the SearchRerank.Lucene package from the program's project, or from a project it references, "
                + "without excluding the package's build assets (no ExcludeAssets=\"buildTransitive\", no IncludeAssets that "
                + "leaves them out, no -p:TorchSharpElfFix=never), then `dotnet build` or `dotnet publish` the program here.\n"
                + "- A project that references src/Rerank.Lucene/Rerank.Lucene.csproj from outside the SearchRerank repository "
                + "does not get the package's build step: add <Import Project=\"CLONE/build/SearchRerank.Lucene.targets\" /> "
                + "to it, or reference the package made by `dotnet pack` instead.\n"
                + $"- Built on a system whose libstdc++ defines {version} and copied here: publish with "
                + "`dotnet publish -p:TorchSharpElfFix=always` (the default, auto, skips the patch when the building system's libstdc++ defines it).\n"
                + $"Check the result with `readelf -V {file}`: {version} shows `Flags: WEAK`.";
        }

        var why = need is null ? $"it does not require {version}"
            : weak ? $"its {version} requirement is already marked weak"
            : $"this system's libstdc++ defines {version}";
        return $"The copy at {file} is not what fails ({why}), so the ELF fix does not apply. The loader's message "
            + "below names what is missing or damaged: usually one of libtorch's own libraries beside it (libtorch_cpu.so, libc10.so, from the "
            + "libtorch-cpu-linux-x64 package, which must have the same version as the one SearchRerank.Lucene references; building or "
            + "publishing the program again replaces them), or a C library (glibc) older than libtorch needs.";
    }
}
