// One source file, compiled twice:
//  - by MSBuild's RoslynCodeTaskFactory (build/SearchRerank.Lucene.targets, imported by this
//    repository's Directory.Build.targets and shipped in the SearchRerank.Lucene package as
//    buildTransitive/) into the inline task PatchElfVersionNeed, which runs after files are copied
//    to the output/publish folder;
//  - into Rerank.Lucene itself as a linked Compile item (with SEARCHRERANK_ELF_PATCHER_LINKED
//    defined, which leaves out the MSBuild task class), so that TorchRuntime can say whether the
//    copy it failed to load was patched, and so that the tests reach the patcher (InternalsVisibleTo).
// The inline task is compiled against netstandard 2.0 reference assemblies: no records,
// no Span/BinaryPrimitives, no File.Move(overwrite) here.
//
// Why it exists (design/ENVIRONMENT.md section 1): TorchSharp's libLibTorchSharp.so requires
// GLIBCXX_3.4.32, which Debian 12's libstdc++ (GCC 12, up to GLIBCXX_3.4.30) lacks. The only
// symbol under that version, std::ios_base_library_init(), is a marker no relocation uses.
// Marking that version requirement VER_FLG_WEAK (0x2) makes the dynamic loader accept a
// libstdc++ without it, so the library loads.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
#if !SEARCHRERANK_ELF_PATCHER_LINKED
using System.Runtime.InteropServices;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
#endif

namespace SearchRerank.Build
{
    /// <summary>What <see cref="ElfVersionNeedPatcher.MarkVersionNeedWeak"/> did.</summary>
    internal enum ElfPatchOutcome
    {
        /// <summary>At least one matching version requirement was flagged weak; the file was rewritten.</summary>
        Patched,
        /// <summary>Every matching requirement was already weak; the file was not touched.</summary>
        AlreadyWeak,
        /// <summary>The file requires no such version; the file was not touched.</summary>
        NotRequired,
    }

    /// <summary>One Vernaux entry of the SHT_GNU_verneed section.</summary>
    internal sealed class ElfVersionNeed
    {
        public ElfVersionNeed(string library, string name, ushort flags, long flagsOffset)
        {
            Library = library;
            Name = name;
            Flags = flags;
            FlagsOffset = flagsOffset;
        }

        /// <summary>The needed library (vn_file), e.g. "libstdc++.so.6".</summary>
        public string Library { get; }

        /// <summary>The version name (vna_name), e.g. "GLIBCXX_3.4.32".</summary>
        public string Name { get; }

        /// <summary>vna_flags; bit 0x2 is VER_FLG_WEAK.</summary>
        public ushort Flags { get; }

        /// <summary>File offset of the two bytes of vna_flags.</summary>
        public long FlagsOffset { get; }
    }

    /// <summary>
    /// Reads the GNU symbol-versioning sections of an ELF64 little-endian file and flags one
    /// version requirement weak. Every offset is validated against the file length before it is
    /// read; the single write goes to a private copy that then replaces the file by rename, so a
    /// hard-linked or symlinked source (e.g. the NuGet cache) is never modified.
    /// </summary>
    internal static class ElfVersionNeedPatcher
    {
        /// <summary>The version TorchSharp 0.107's libLibTorchSharp.so needs and Debian 12 lacks.</summary>
        public const string DefaultVersionName = "GLIBCXX_3.4.32";

        /// <summary>VER_FLG_WEAK from elf.h.</summary>
        public const ushort VerFlagWeak = 0x2;

        private const uint ShtGnuVerdef = 0x6ffffffd;
        private const uint ShtGnuVerneed = 0x6ffffffe;
        private const uint ShtStrtab = 3;
        private const int VerneedSize = 16;
        private const int VernauxSize = 16;
        private const int VerdefSize = 20;
        private const int VerdauxSize = 8;
        private const int MaxEntries = 1 << 16;

        /// <summary>
        /// Sets VER_FLG_WEAK on every version requirement named <paramref name="versionName"/>
        /// in the ELF file at <paramref name="path"/>, unless already set. Idempotent.
        /// </summary>
        /// <exception cref="InvalidDataException">The file is not a well-formed ELF64 little-endian file.</exception>
        public static ElfPatchOutcome MarkVersionNeedWeak(string path, string versionName)
        {
            var bytes = File.ReadAllBytes(path);
            var needs = ReadVersionNeeds(bytes, path);
            var offsets = new List<long>();
            var matched = false;
            foreach (var need in needs)
            {
                if (!string.Equals(need.Name, versionName, StringComparison.Ordinal)) continue;
                matched = true;
                if ((need.Flags & VerFlagWeak) == 0) offsets.Add(need.FlagsOffset);
            }

            if (!matched) return ElfPatchOutcome.NotRequired;
            if (offsets.Count == 0) return ElfPatchOutcome.AlreadyWeak;

            foreach (var offset in offsets)
            {
                var flags = (ushort)(ReadU16(bytes, offset, path) | VerFlagWeak);
                bytes[offset] = (byte)(flags & 0xff);
                bytes[offset + 1] = (byte)(flags >> 8);
            }

            ReplaceContents(path, bytes);
            return ElfPatchOutcome.Patched;
        }

        /// <summary>Lists every Vernaux entry of the file's SHT_GNU_verneed section (empty when it has none).</summary>
        public static IReadOnlyList<ElfVersionNeed> ReadVersionNeeds(byte[] elf, string path)
        {
            var result = new List<ElfVersionNeed>();
            foreach (var section in ReadSections(elf, path))
            {
                if (section.Type != ShtGnuVerneed) continue;
                var strtab = LinkedStringTable(elf, section, path);
                long entry = section.Offset;
                long sectionEnd = section.Offset + section.Size;
                // sh_info holds the number of Verneed entries (DT_VERNEEDNUM); vn_next chains them.
                for (long i = 0; i < section.Info; i++)
                {
                    Require(entry >= section.Offset && entry + VerneedSize <= sectionEnd, path, "Verneed entry lies outside its section");
                    var count = ReadU16(elf, entry + 2, path);
                    var file = ReadString(elf, strtab, ReadU32(elf, entry + 4, path), path);
                    long aux = entry + ReadU32(elf, entry + 8, path);
                    for (var j = 0; j < count; j++)
                    {
                        Require(aux >= section.Offset && aux + VernauxSize <= sectionEnd, path, "Vernaux entry lies outside its section");
                        var flags = ReadU16(elf, aux + 4, path);
                        var name = ReadString(elf, strtab, ReadU32(elf, aux + 8, path), path);
                        result.Add(new ElfVersionNeed(file, name, flags, aux + 4));
                        var nextAux = ReadU32(elf, aux + 12, path);
                        if (nextAux == 0) break;
                        aux += nextAux;
                    }

                    var next = ReadU32(elf, entry + 12, path);
                    if (next == 0) break;
                    entry += next;
                }
            }

            return result;
        }

        /// <summary>True when the ELF file at <paramref name="path"/> defines (SHT_GNU_verdef) the named version.</summary>
        public static bool DefinesVersion(string path, string versionName)
        {
            var elf = File.ReadAllBytes(path);
            foreach (var section in ReadSections(elf, path))
            {
                if (section.Type != ShtGnuVerdef) continue;
                var strtab = LinkedStringTable(elf, section, path);
                long entry = section.Offset;
                long sectionEnd = section.Offset + section.Size;
                for (long i = 0; i < section.Info; i++)
                {
                    Require(entry >= section.Offset && entry + VerdefSize <= sectionEnd, path, "Verdef entry lies outside its section");
                    var auxCount = ReadU16(elf, entry + 6, path);
                    if (auxCount > 0)
                    {
                        // The first Verdaux names the version itself; later ones name its parents.
                        long aux = entry + ReadU32(elf, entry + 12, path);
                        Require(aux >= section.Offset && aux + VerdauxSize <= sectionEnd, path, "Verdaux entry lies outside its section");
                        var name = ReadString(elf, strtab, ReadU32(elf, aux, path), path);
                        if (string.Equals(name, versionName, StringComparison.Ordinal)) return true;
                    }

                    var next = ReadU32(elf, entry + 16, path);
                    if (next == 0) break;
                    entry += next;
                }
            }

            return false;
        }

        /// <summary>
        /// The libstdc++ files the dynamic loader is likely to pick on common Linux layouts
        /// (Debian/Ubuntu multiarch first, then Fedora/RHEL lib64, then plain lib).
        /// </summary>
        public static readonly string[] SystemLibstdcxxCandidates =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
            "/lib/aarch64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6",
            "/lib64/libstdc++.so.6",
            "/usr/lib/libstdc++.so.6",
        };

        /// <summary>
        /// True when at least one of <paramref name="candidates"/> exists and every existing one
        /// defines <paramref name="versionName"/>. Conservative: if any libstdc++ the loader might
        /// pick lacks the version (or cannot be read), the patch is still needed.
        /// </summary>
        public static bool SystemProvidesVersion(string versionName, IEnumerable<string> candidates)
        {
            var found = false;
            foreach (var candidate in candidates)
            {
                if (!File.Exists(candidate)) continue;
                found = true;
                try
                {
                    if (!DefinesVersion(candidate, versionName)) return false;
                }
                catch (Exception e) when (e is IOException || e is InvalidDataException || e is UnauthorizedAccessException)
                {
                    return false;
                }
            }

            return found;
        }

        private sealed class Section
        {
            public uint Type;
            public long Offset;
            public long Size;
            public uint Link;
            public uint Info;
        }

        private static List<Section> ReadSections(byte[] elf, string path)
        {
            Require(elf.Length >= 64, path, "shorter than an ELF64 header (64 bytes)");
            Require(elf[0] == 0x7f && elf[1] == (byte)'E' && elf[2] == (byte)'L' && elf[3] == (byte)'F', path, "no ELF magic (7F 45 4C 46)");
            Require(elf[4] == 2, path, "not a 64-bit ELF file (EI_CLASS is not ELFCLASS64)");
            Require(elf[5] == 1, path, "not a little-endian ELF file (EI_DATA is not ELFDATA2LSB)");

            var shoff = ReadU64(elf, 0x28, path);
            var shentsize = ReadU16(elf, 0x3A, path);
            long shnum = ReadU16(elf, 0x3C, path);
            var sections = new List<Section>();
            if (shoff == 0) return sections;
            Require(shentsize >= 64, path, "section header entries are smaller than 64 bytes");
            Require(shoff <= elf.Length, path, "section header table starts beyond the end of the file");
            if (shnum == 0)
            {
                // Extended numbering: the real count is in section 0's sh_size.
                shnum = ReadU64(elf, shoff + 32, path);
            }

            Require(shnum <= (elf.Length - shoff) / shentsize, path, "section header table runs past the end of the file");
            for (long i = 0; i < shnum; i++)
            {
                long h = shoff + i * shentsize;
                var s = new Section
                {
                    Type = ReadU32(elf, h + 4, path),
                    Offset = ReadU64(elf, h + 24, path),
                    Size = ReadU64(elf, h + 32, path),
                    Link = ReadU32(elf, h + 40, path),
                    Info = ReadU32(elf, h + 44, path),
                };
                // SHT_NOBITS (8) occupies no file bytes; everything we read must lie inside the file.
                if (s.Type != 8)
                {
                    Require(s.Offset <= elf.Length && s.Size <= elf.Length - s.Offset, path, "section " + i + " lies outside the file");
                }

                sections.Add(s);
            }

            return sections;
        }

        private static Section LinkedStringTable(byte[] elf, Section section, string path)
        {
            var sections = ReadSections(elf, path);
            Require(section.Link > 0 && section.Link < sections.Count, path, "version section's sh_link is not a valid section index");
            var strtab = sections[(int)section.Link];
            Require(strtab.Type == ShtStrtab, path, "version section's sh_link is not a string table");
            Require(section.Info <= MaxEntries, path, "version section claims too many entries");
            return strtab;
        }

        private static string ReadString(byte[] elf, Section strtab, uint index, string path)
        {
            Require(index < strtab.Size, path, "string index beyond its string table");
            long start = strtab.Offset + index;
            long end = start;
            long limit = strtab.Offset + strtab.Size;
            while (end < limit && elf[end] != 0) end++;
            Require(end < limit, path, "unterminated string in string table");
            return Encoding.ASCII.GetString(elf, (int)start, (int)(end - start));
        }

        private static ushort ReadU16(byte[] b, long at, string path)
        {
            Require(at >= 0 && at + 2 <= b.Length, path, "read beyond the end of the file");
            return (ushort)(b[at] | (b[at + 1] << 8));
        }

        private static uint ReadU32(byte[] b, long at, string path)
        {
            Require(at >= 0 && at + 4 <= b.Length, path, "read beyond the end of the file");
            return (uint)(b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24));
        }

        private static long ReadU64(byte[] b, long at, string path)
        {
            Require(at >= 0 && at + 8 <= b.Length, path, "read beyond the end of the file");
            ulong lo = ReadU32(b, at, path);
            ulong hi = ReadU32(b, at + 4, path);
            var value = lo | (hi << 32);
            Require(value <= long.MaxValue, path, "offset or size too large");
            return (long)value;
        }

        private static void Require(bool condition, string path, string what)
        {
            if (!condition) throw new InvalidDataException("'" + path + "' is not a well-formed ELF64 little-endian file: " + what + ".");
        }

        /// <summary>
        /// Writes <paramref name="bytes"/> to a sibling temporary file (copied first so it keeps the
        /// original's permissions) and renames it over <paramref name="path"/>. The rename replaces
        /// the directory entry: when <paramref name="path"/> was a hard link or symbolic link into the
        /// NuGet cache, the cache file is left untouched.
        /// </summary>
        private static void ReplaceContents(string path, byte[] bytes)
        {
            var temp = path + ".elfpatch-" + Guid.NewGuid().ToString("N");
            try
            {
                File.Copy(path, temp, overwrite: false);
                using (var stream = new FileStream(temp, FileMode.Open, FileAccess.Write, FileShare.None))
                {
                    stream.SetLength(bytes.Length);
                    stream.Write(bytes, 0, bytes.Length);
                }

                // rename(2) on Unix: atomic, and it replaces the directory entry, not the old inode.
                File.Replace(temp, path, destinationBackupFileName: null);
            }
            finally
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
        }
    }

#if !SEARCHRERANK_ELF_PATCHER_LINKED
    /// <summary>
    /// MSBuild task: flags <see cref="VersionName"/> weak in each of <see cref="Files"/> that exists.
    /// Mode "auto" (default) patches only on Linux hosts whose libstdc++ lacks the version;
    /// "always" patches regardless (e.g. publishing on a new distribution for a Debian 12 target);
    /// "never" does nothing.
    /// </summary>
    public sealed class PatchElfVersionNeed : Task
    {
        [Required]
        public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

        public string VersionName { get; set; } = ElfVersionNeedPatcher.DefaultVersionName;

        public string Mode { get; set; } = "auto";

        public override bool Execute()
        {
            var mode = (Mode ?? "auto").Trim().ToLowerInvariant();
            if (mode == "never" || mode == "false") return true;
            if (mode != "auto" && mode != "always" && mode != "true")
            {
                Log.LogError("TorchSharpElfFix must be auto, always or never; got '" + Mode + "'.");
                return false;
            }

            if (mode == "auto")
            {
                if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) return true;
                if (ElfVersionNeedPatcher.SystemProvidesVersion(VersionName, ElfVersionNeedPatcher.SystemLibstdcxxCandidates))
                {
                    Log.LogMessage(MessageImportance.Low, "System libstdc++ defines " + VersionName + "; no ELF fix needed.");
                    return true;
                }
            }

            foreach (var item in Files)
            {
                var path = item.GetMetadata("FullPath");
                if (!File.Exists(path)) continue;
                try
                {
                    var outcome = ElfVersionNeedPatcher.MarkVersionNeedWeak(path, VersionName);
                    var importance = outcome == ElfPatchOutcome.Patched ? MessageImportance.High : MessageImportance.Low;
                    Log.LogMessage(importance, "ELF fix (" + VersionName + " -> weak): " + outcome + ": " + path);
                }
                catch (Exception e) when (e is IOException || e is InvalidDataException || e is UnauthorizedAccessException)
                {
                    Log.LogError("Could not apply the ELF fix to '" + path + "': " + e.Message);
                }
            }

            return !Log.HasLoggedErrors;
        }
    }
#endif
}
