using System.Runtime.InteropServices;
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
    /// The native library does not load. The message says that the build's ELF fix should have run
    /// and how to rebuild; the inner exception holds the loader's own message.
    /// </exception>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_loaded) return;
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
        Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    internal static string LoadFailureMessage(Exception e)
    {
        var detail = e.InnerException is { } inner ? $"{e.Message} ({inner.Message})" : e.Message;
        return "TorchSharp's native library could not be loaded: " + detail + "\n"
            + "On Linux systems whose libstdc++ lacks GLIBCXX_3.4.32 (Debian 12, GCC 12), the build marks that version "
            + "requirement weak in the output copy of libLibTorchSharp.so (Directory.Build.targets, targets "
            + "PatchTorchSharpElfInOutput and PatchTorchSharpElfInPublish). That fix has not been applied to the copy "
            + $"this program loads ({NativeLibraryPath}).\n"
            + "Rebuild so it runs: `dotnet build` (or `dotnet publish -p:TorchSharpElfFix=always` when publishing on a newer "
            + "system for an older one), then check: `readelf -V <output>/runtimes/linux-x64/native/libLibTorchSharp.so` "
            + "shows `GLIBCXX_3.4.32  Flags: WEAK`.";
    }
}
