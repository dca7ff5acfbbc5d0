using System.IO.Compression;
using System.Text;
using Rerank.Lucene.Modeling;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Tests.Native;

namespace Rerank.Lucene.Tests.Modeling;

/// <summary>
/// pytorch_model.bin against its safetensors twin: tests/fixtures/pytorch-bin holds one tiny
/// cross-encoder written both ways by make_fixture.py (Python standard library, the layout of
/// torch.save), with shared storages, transposed and half-precision tensors and an int64 buffer.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class PyTorchCheckpointTests : IDisposable
{
    private static readonly string Fixture = Path.Combine(TestPaths.RepoRoot, "tests", "fixtures", "pytorch-bin");
    private readonly string _dir = TestPaths.NewTempDir("ptbin");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Read_FixtureBin_SameTensorsAsSafetensorsTwin()
    {
        var bin = PyTorchCheckpoint.Read(Path.Combine(Fixture, "pytorch_model.bin"));
        var twin = SafeTensors.Read(Path.Combine(Fixture, "model.safetensors"));

        Assert.Equal(twin.Keys.Append("bert.embeddings.position_ids").Order(StringComparer.Ordinal), bin.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, expected) in twin)
        {
            Assert.True(expected.Shape.SequenceEqual(bin[name].Shape), name);
            Assert.True(expected.Values.SequenceEqual(bin[name].Values), name);
        }
        Assert.Equal([1L, 64L], bin["bert.embeddings.position_ids"].Shape);
        Assert.Equal(Enumerable.Range(0, 64).Select(i => (float)i), bin["bert.embeddings.position_ids"].Values);
    }

    [Fact]
    public void Load_FolderWithBinOnly_ScoresLikeSafetensorsFolder()
    {
        var binFolder = Folder("bin", "pytorch_model.bin");
        var safetensorsFolder = Folder("st", "model.safetensors");
        (string, string)[] pairs = [("what is bm25?", "a ranking function for search."), ("tides", "the moon pulls the sea, twice a day.")];

        using var fromBin = CrossEncoder.Load(binFolder, new CrossEncoderOptions { Device = "cpu" });
        using var fromSafetensors = CrossEncoder.Load(safetensorsFolder, new CrossEncoderOptions { Device = "cpu" });

        Assert.Equal(fromSafetensors.Predict(pairs), fromBin.Predict(pairs));
    }

    [Fact]
    public void Load_BinMissingAKey_RefusedNamingTheKey()
    {
        var folder = Folder("missing", "config.json");
        using (var source = ZipFile.OpenRead(Path.Combine(Fixture, "pytorch_model.bin")))
        {
            // Same archive, but the pickle's last tensor key renamed so that classifier.bias is absent.
            var pickle = Read(source.GetEntry("pytorch_model/data.pkl")!);
            var renamed = Replace(pickle, "classifier.bias", "classifier.bIas");
            WriteArchive(Path.Combine(folder, "pytorch_model.bin"), source, renamed);
        }

        var e = Assert.Throws<InvalidInputException>(() => BertModelFolder.LoadForSequenceClassification(folder, ClassifierHeadPolicy.RequireTrained));

        Assert.Contains("classifier.bias", e.Message);
        Assert.Contains("classifier.bIas", e.Message);
    }

    [Fact]
    public void Read_PickleCallingOsSystem_RefusedWithoutRunningIt()
    {
        // \x80\x02 c os\nsystem\n  X "touch PWNED"  \x85 R .   : os.system("touch PWNED")
        var marker = Path.Combine(_dir, "PWNED");
        var command = Encoding.UTF8.GetBytes("touch " + marker);
        byte[] pickle = [0x80, 0x02, .. "cos\nsystem\n"u8, (byte)'X', .. BitConverter.GetBytes(command.Length), .. command, 0x85, (byte)'R', (byte)'.'];
        var path = Path.Combine(_dir, "evil.bin");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using var s = zip.CreateEntry("evil/data.pkl").Open();
            s.Write(pickle);
        }

        var e = Assert.Throws<InvalidInputException>(() => PyTorchCheckpoint.Read(path));

        Assert.StartsWith($"'{path}' is not a readable PyTorch state dict: it refers to the Python global 'os.system', which a plain state dict does not need; refusing to interpret it", e.Message);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void Read_TruncatedZip_SaysTruncatedNotLegacy()
    {
        // A cut-off download: the first half of a real torch.save archive keeps its "PK\x03\x04" start but loses the end record.
        var source = Directory.GetFiles(Fixture, "*.bin").First();
        var bytes = File.ReadAllBytes(source);
        Assert.Equal((byte)'P', bytes[0]);
        var path = Path.Combine(_dir, "cut.bin");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var e = Assert.Throws<InvalidInputException>(() => PyTorchCheckpoint.Read(path));

        Assert.Equal($"'{path}' is not a readable PyTorch state dict: it is truncated or damaged: it starts as a zip archive (as torch.save writes) but its end record is missing or unreadable. Download the file again.", e.Message);
        Assert.DoesNotContain("legacy", e.Message);
    }

    [Fact]
    public void Read_EmptyFile_IsNotCalledLegacy()
    {
        var path = Path.Combine(_dir, "empty.bin");
        File.WriteAllBytes(path, []);

        var e = Assert.Throws<InvalidInputException>(() => PyTorchCheckpoint.Read(path));

        Assert.Contains("it is neither a zip archive written by torch.save nor a legacy PyTorch file", e.Message);
    }

    [Fact]
    public void Read_LegacyNonZipPickle_NamesTheFormatAndTheFix()
    {
        var path = Path.Combine(_dir, "legacy.bin");
        File.WriteAllBytes(path, [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);

        var e = Assert.Throws<InvalidInputException>(() => PyTorchCheckpoint.Read(path));

        Assert.Equal($"'{path}' is not a readable PyTorch state dict: it is not a zip archive. Files written by torch.save before PyTorch 1.6 " +
            "(the legacy format) are not supported; re-save with a newer PyTorch, or convert to model.safetensors.", e.Message);
        Assert.Equal(path, e.Path);
    }

    [Fact]
    public void Read_StorageEntryMissing_NamesStorageAndTensor()
    {
        var path = Path.Combine(_dir, "truncated.bin");
        using (var source = ZipFile.OpenRead(Path.Combine(Fixture, "pytorch_model.bin")))
        {
            WriteArchive(path, source, Read(source.GetEntry("pytorch_model/data.pkl")!), skip: "pytorch_model/data/2");
        }

        var e = Assert.Throws<InvalidInputException>(() => PyTorchCheckpoint.Read(path));

        Assert.Equal($"'{path}' is not a readable PyTorch state dict: storage '2' of 'bert.embeddings.word_embeddings.weight' is missing from the archive.", e.Message);
    }

    /// <summary>A model folder with the fixture's config and vocabulary and the named weights file.</summary>
    private string Folder(string name, string weights)
    {
        var folder = Path.Combine(_dir, name);
        Directory.CreateDirectory(folder);
        foreach (var file in new[] { "config.json", "vocab.txt", weights }.Distinct())
        {
            File.Copy(Path.Combine(Fixture, file), Path.Combine(folder, file));
        }
        return folder;
    }

    private static byte[] Read(ZipArchiveEntry entry)
    {
        using var s = entry.Open();
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    /// <summary>Replaces one UTF-8 string of equal length inside the pickle bytes.</summary>
    private static byte[] Replace(byte[] data, string from, string to)
    {
        var a = Encoding.UTF8.GetBytes(from);
        var at = data.AsSpan().IndexOf(a);
        Assert.True(at >= 0 && a.Length == Encoding.UTF8.GetByteCount(to));
        var copy = data.ToArray();
        Encoding.UTF8.GetBytes(to).CopyTo(copy, at);
        return copy;
    }

    private static void WriteArchive(string path, ZipArchive source, byte[] pickle, string? skip = null)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var entry in source.Entries.Where(e => e.FullName != skip))
        {
            using var s = zip.CreateEntry(entry.FullName).Open();
            s.Write(entry.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) ? pickle : Read(entry));
        }
    }
}
