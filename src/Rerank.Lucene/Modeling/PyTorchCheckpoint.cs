using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Rerank.Lucene.Modeling;

/// <summary>
/// Reads a state dict saved by <c>torch.save</c> (the zip format of PyTorch 1.6 and later, as in a
/// Hugging Face <c>pytorch_model.bin</c>) into float32 <see cref="TensorData"/>, without Python.
/// </summary>
/// <remarks>
/// The archive holds <c>PREFIX/data.pkl</c>, a pickle of the state dict in which every tensor is a
/// call of <c>torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)</c> and every
/// storage a persistent id <c>('storage', torch.FloatStorage, key, location, numel)</c> whose raw
/// little-endian bytes are the entry <c>PREFIX/data/KEY</c>. This reader interprets only the pickle
/// opcodes such a file uses and only the globals listed in <see cref="AllowedGlobals"/>: nothing in
/// the file is ever executed, and anything else (a pickled class, <c>os.system</c>) is refused with
/// the name of the global. Views are honoured (storage offset and strides), so tensors that share a
/// storage or are stored transposed come out right. Float, half and bfloat16 storages become
/// float32; integer storages (the <c>position_ids</c> buffer of older BERT checkpoints) are
/// converted only when every value is exactly representable.
/// </remarks>
internal static class PyTorchCheckpoint
{
    /// <summary>The only globals a state dict needs: the dict class, the tensor rebuilders and the storage types.</summary>
    public static readonly IReadOnlySet<string> AllowedGlobals = new HashSet<string>(StringComparer.Ordinal)
    {
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch.FloatStorage",
        "torch.HalfStorage",
        "torch.BFloat16Storage",
        "torch.DoubleStorage",
        "torch.LongStorage",
        "torch.IntStorage",
    };

    /// <summary>
    /// Why a file the zip reader refused is unreadable, told by its first bytes: a zip local header ("PK\x03\x04") means
    /// a torch.save archive whose end record is missing or damaged (a cut-off download); a pickle protocol marker
    /// (0x80) means the legacy pre-1.6 format; anything else is not a PyTorch file.
    /// </summary>
    internal static string DescribeUnreadableZip(string path)
    {
        Span<byte> start = stackalloc byte[4];
        int read;
        using (var stream = File.OpenRead(path)) read = stream.ReadAtLeast(start, 4, throwOnEndOfStream: false);
        if (read == 4 && start[0] == (byte)'P' && start[1] == (byte)'K' && start[2] == 3 && start[3] == 4)
            return "it is truncated or damaged: it starts as a zip archive (as torch.save writes) but its end record is missing or unreadable. Download the file again";
        if (read >= 1 && start[0] == 0x80)
            return "it is not a zip archive. Files written by torch.save before PyTorch 1.6 (the legacy format) are not supported; "
                + "re-save with a newer PyTorch, or convert to model.safetensors";
        return "it is neither a zip archive written by torch.save nor a legacy PyTorch file (it may be empty or another kind of file). Download the model's weights again";
    }

    /// <summary>Every tensor of the state dict in <paramref name="path"/>, by key, as float32.</summary>
    /// <exception cref="InvalidInputException">The file is not a zip-format <c>torch.save</c> state dict, uses a global outside <see cref="AllowedGlobals"/>, or is damaged.</exception>
    public static Dictionary<string, TensorData> Read(string path)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"Weights file '{path}' does not exist.", path);
        InvalidInputException Bad(string problem) => new($"'{path}' is not a readable PyTorch state dict: {problem}.", path);

        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException)
        {
            throw Bad(DescribeUnreadableZip(path));
        }

        using (zip)
        {
            var pickles = zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1).ToArray();
            if (pickles.Length != 1) throw Bad($"expected one PREFIX/data.pkl entry in the archive, found {pickles.Length}");
            var prefix = pickles[0].FullName[..^"data.pkl".Length];
            var pickle = ReadAll(pickles[0]);

            object? root;
            try
            {
                root = new Unpickler(pickle).Load();
            }
            catch (FormatException e)
            {
                throw Bad(e.Message);
            }

            if (root is not PickleDict dict) throw Bad($"the pickle holds a {Describe(root)}, not a state dict (a dict of tensors)");
            var storages = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            var result = new Dictionary<string, TensorData>(StringComparer.Ordinal);
            foreach (var (key, value) in dict.Items)
            {
                if (key is not string name) throw Bad($"a state dict key is a {Describe(key)}, not a string");
                if (value is not TensorRef tensor) throw Bad($"'{name}' is a {Describe(value)}, not a tensor (a whole pickled model or a training checkpoint is not a state dict)");
                if (!storages.TryGetValue(tensor.Storage.Key, out var bytes))
                {
                    var entry = zip.GetEntry(prefix + "data/" + tensor.Storage.Key) ?? throw Bad($"storage '{tensor.Storage.Key}' of '{name}' is missing from the archive");
                    bytes = ReadAll(entry);
                    storages[tensor.Storage.Key] = bytes;
                }

                result[name] = Materialise(name, tensor, bytes, Bad);
            }

            return result;
        }
    }

    private static byte[] ReadAll(ZipArchiveEntry entry)
    {
        using var s = entry.Open();
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    private static TensorData Materialise(string name, TensorRef t, byte[] storage, Func<string, InvalidInputException> bad)
    {
        var size = t.Storage.ElementSize;
        if (storage.Length % size != 0) throw bad($"storage '{t.Storage.Key}' of '{name}' has {storage.Length} bytes, not a whole number of {t.Storage.Type} elements");
        long available = storage.Length / size;
        var shape = t.Shape;
        long count = shape.Aggregate(1L, (a, d) => checked(a * d));
        if (count > Array.MaxLength) throw bad($"'{name}' has too many elements");
        var values = new float[count];
        if (count == 0) return new TensorData(shape, values);

        // The last element a view reaches must lie inside its storage.
        long last = t.Offset + shape.Select((d, i) => (d - 1) * t.Stride[i]).Sum();
        if (t.Offset < 0 || t.Stride.Any(s => s < 0) || last >= available)
            throw bad($"'{name}' (offset {t.Offset}, shape [{string.Join(", ", shape)}], strides [{string.Join(", ", t.Stride)}]) reaches past its storage of {available} elements");

        var index = new long[shape.Length];
        for (long i = 0; i < count; i++)
        {
            long at = t.Offset;
            for (var d = 0; d < shape.Length; d++) at += index[d] * t.Stride[d];
            values[i] = Element(storage.AsSpan(checked((int)(at * size)), size), t.Storage.Type, name, bad);
            for (var d = shape.Length - 1; d >= 0; d--)
            {
                if (++index[d] < shape[d]) break;
                index[d] = 0;
            }
        }

        return new TensorData(shape, values);
    }

    private static float Element(ReadOnlySpan<byte> bytes, string type, string name, Func<string, InvalidInputException> bad)
    {
        switch (type)
        {
            case "FloatStorage": return BinaryPrimitives.ReadSingleLittleEndian(bytes);
            case "HalfStorage": return (float)BinaryPrimitives.ReadHalfLittleEndian(bytes);
            case "BFloat16Storage": return BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes) << 16);
            case "DoubleStorage": return (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes);
            default:
                long v = type == "LongStorage" ? BinaryPrimitives.ReadInt64LittleEndian(bytes) : BinaryPrimitives.ReadInt32LittleEndian(bytes);
                const long Exact = 1L << 24;
                if (v is > Exact or < -Exact) throw bad($"integer tensor '{name}' holds {v}, which float32 cannot represent exactly");
                return v;
        }
    }

    private static string Describe(object? value) => value switch
    {
        null => "None",
        string => "string",
        long => "integer",
        double => "float",
        bool => "bool",
        object?[] => "tuple",
        List<object?> => "list",
        PickleDict => "dict",
        TensorRef => "tensor",
        StorageRef => "storage",
        Global g => $"global {g.Name}",
        _ => value.GetType().Name,
    };

    private sealed record Global(string Name);

    private sealed record StorageRef(string Type, string Key, int ElementSize);

    private sealed record TensorRef(StorageRef Storage, long Offset, long[] Shape, long[] Stride);

    private sealed class PickleDict
    {
        public List<KeyValuePair<object?, object?>> Items { get; } = [];
    }

    /// <summary>A stack machine for the pickle opcodes of protocols 2 to 4 that state dicts use; throws <see cref="FormatException"/> on anything else.</summary>
    private sealed class Unpickler(byte[] data)
    {
        private static readonly object Mark = new();
        private readonly List<object?> _stack = [];
        private readonly Dictionary<long, object?> _memo = [];
        private int _pos;

        public object? Load()
        {
            while (true)
            {
                var op = ReadByte();
                switch (op)
                {
                    case 0x80: ReadByte(); break; // PROTO n
                    case 0x95: Take(8); break; // FRAME length: frames are only a read-ahead hint
                    case (byte)'.': return Pop(); // STOP
                    case (byte)'(': _stack.Add(Mark); break; // MARK
                    case (byte)'N': _stack.Add(null); break; // NONE
                    case 0x88: _stack.Add(true); break; // NEWTRUE
                    case 0x89: _stack.Add(false); break; // NEWFALSE
                    case (byte)'J': _stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break; // BININT
                    case (byte)'K': _stack.Add((long)ReadByte()); break; // BININT1
                    case (byte)'M': _stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break; // BININT2
                    case 0x8a: _stack.Add(ReadLong1()); break; // LONG1
                    case (byte)'G': _stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break; // BINFLOAT
                    case (byte)'X': _stack.Add(ReadString(checked((int)BinaryPrimitives.ReadUInt32LittleEndian(Take(4))))); break; // BINUNICODE
                    case 0x8c: _stack.Add(ReadString(ReadByte())); break; // SHORT_BINUNICODE
                    case (byte)'c': _stack.Add(ResolveGlobal(ReadLine() + "." + ReadLine())); break; // GLOBAL module\nname\n
                    case 0x93: // STACK_GLOBAL
                    {
                        var name = Pop() as string;
                        var module = Pop() as string;
                        if (name is null || module is null) throw new FormatException("STACK_GLOBAL without module and name strings");
                        _stack.Add(ResolveGlobal(module + "." + name));
                        break;
                    }
                    case (byte)')': _stack.Add(Array.Empty<object?>()); break; // EMPTY_TUPLE
                    case 0x85: _stack.Add(PopMany(1)); break; // TUPLE1
                    case 0x86: _stack.Add(PopMany(2)); break; // TUPLE2
                    case 0x87: _stack.Add(PopMany(3)); break; // TUPLE3
                    case (byte)'t': _stack.Add(PopToMark().ToArray()); break; // TUPLE
                    case (byte)']': _stack.Add(new List<object?>()); break; // EMPTY_LIST
                    case (byte)'l': _stack.Add(PopToMark()); break; // LIST
                    case (byte)'a': { var item = Pop(); ListOnTop().Add(item); break; } // APPEND
                    case (byte)'e': { var items = PopToMark(); ListOnTop().AddRange(items); break; } // APPENDS
                    case (byte)'}': _stack.Add(new PickleDict()); break; // EMPTY_DICT
                    case (byte)'s': { var v = Pop(); var k = Pop(); DictOnTop().Items.Add(new(k, v)); break; } // SETITEM
                    case (byte)'u': // SETITEMS
                    {
                        var items = PopToMark();
                        if (items.Count % 2 != 0) throw new FormatException("SETITEMS with an odd number of items");
                        var dict = DictOnTop();
                        for (var i = 0; i < items.Count; i += 2) dict.Items.Add(new(items[i], items[i + 1]));
                        break;
                    }
                    case (byte)'q': _memo[ReadByte()] = Peek(); break; // BINPUT
                    case (byte)'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Peek(); break; // LONG_BINPUT
                    case 0x94: _memo[_memo.Count] = Peek(); break; // MEMOIZE
                    case (byte)'h': _stack.Add(Recall(ReadByte())); break; // BINGET
                    case (byte)'j': _stack.Add(Recall(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break; // LONG_BINGET
                    case (byte)'Q': _stack.Add(PersistentLoad(Pop())); break; // BINPERSID
                    case (byte)'R': { var args = Pop(); var callable = Pop(); _stack.Add(Reduce(callable, args)); break; } // REDUCE
                    case (byte)'b': // BUILD: only the attributes an OrderedDict state dict carries (_metadata), which we do not need
                    {
                        Pop();
                        if (Peek() is not PickleDict) throw new FormatException($"BUILD on a {Describe(Peek())}; only dicts are expected");
                        break;
                    }
                    default:
                        throw new FormatException($"pickle opcode 0x{op:x2} at byte {_pos - 1} is not one a state dict uses");
                }
            }
        }

        private static Global ResolveGlobal(string name) =>
            AllowedGlobals.Contains(name)
                ? new Global(name)
                : throw new FormatException($"it refers to the Python global '{name}', which a plain state dict does not need; refusing to interpret it (only {string.Join(", ", AllowedGlobals)} are allowed)");

        private static StorageRef PersistentLoad(object? pid)
        {
            if (pid is not object?[] { Length: 5 } t || t[0] is not "storage" || t[1] is not Global type || t[2] is not string key)
                throw new FormatException("a persistent id is not ('storage', type, key, location, numel)");
            var kind = type.Name["torch.".Length..];
            var size = kind switch
            {
                "FloatStorage" or "IntStorage" => 4,
                "HalfStorage" or "BFloat16Storage" => 2,
                "DoubleStorage" or "LongStorage" => 8,
                _ => throw new FormatException($"persistent id names {type.Name}, not a storage type"),
            };
            return new StorageRef(kind, key, size);
        }

        private static object Reduce(object? callable, object? args)
        {
            if (callable is not Global g || args is not object?[] a) throw new FormatException($"REDUCE of a {Describe(callable)} with {Describe(args)} arguments");
            switch (g.Name)
            {
                case "collections.OrderedDict":
                    if (a.Length != 0) throw new FormatException("OrderedDict built with arguments");
                    return new PickleDict();
                case "torch._utils._rebuild_tensor_v2":
                    if (a.Length < 4 || a[0] is not StorageRef storage || a[1] is not long offset)
                        throw new FormatException("_rebuild_tensor_v2 without (storage, offset, size, stride)");
                    var shape = Longs(a[2], "size");
                    var stride = Longs(a[3], "stride");
                    if (shape.Length != stride.Length) throw new FormatException($"tensor size has {shape.Length} dimensions but stride {stride.Length}");
                    return new TensorRef(storage, offset, shape, stride);
                case "torch._utils._rebuild_parameter":
                    return a.Length >= 1 && a[0] is TensorRef t ? t : throw new FormatException("_rebuild_parameter without a tensor");
                default:
                    throw new FormatException($"REDUCE of {g.Name}, which is not a constructor");
            }
        }

        private static long[] Longs(object? value, string what) =>
            value is object?[] items && items.All(i => i is long)
                ? items.Select(i => (long)i!).ToArray()
                : throw new FormatException($"tensor {what} is not a tuple of integers");

        private object? Recall(long key) => _memo.TryGetValue(key, out var v) ? v : throw new FormatException($"memo key {key} was never stored");

        private PickleDict DictOnTop() => Peek() as PickleDict ?? throw new FormatException($"SETITEM(S) on a {Describe(Peek())}");

        private List<object?> ListOnTop() => Peek() as List<object?> ?? throw new FormatException($"APPEND(S) on a {Describe(Peek())}");

        private object? Peek() => _stack.Count > 0 ? _stack[^1] : throw new FormatException("the pickle stack is empty");

        private object? Pop()
        {
            var v = Peek();
            if (ReferenceEquals(v, Mark)) throw new FormatException("unexpected MARK");
            _stack.RemoveAt(_stack.Count - 1);
            return v;
        }

        private object?[] PopMany(int n)
        {
            var items = new object?[n];
            for (var i = n - 1; i >= 0; i--) items[i] = Pop();
            return items;
        }

        private List<object?> PopToMark()
        {
            var at = _stack.FindLastIndex(v => ReferenceEquals(v, Mark));
            if (at < 0) throw new FormatException("no MARK on the pickle stack");
            var items = _stack.GetRange(at + 1, _stack.Count - at - 1);
            _stack.RemoveRange(at, _stack.Count - at);
            return items;
        }

        private byte ReadByte() => _pos < data.Length ? data[_pos++] : throw new FormatException("the pickle ends before its STOP opcode");

        private ReadOnlySpan<byte> Take(int n)
        {
            if (n < 0 || _pos + n > data.Length) throw new FormatException("the pickle ends inside an opcode");
            var span = data.AsSpan(_pos, n);
            _pos += n;
            return span;
        }

        private string ReadString(int length) => Encoding.UTF8.GetString(Take(length));

        private string ReadLine()
        {
            var end = Array.IndexOf(data, (byte)'\n', _pos);
            if (end < 0) throw new FormatException("GLOBAL without a line end");
            var text = Encoding.UTF8.GetString(data, _pos, end - _pos);
            _pos = end + 1;
            return text;
        }

        private long ReadLong1()
        {
            var n = ReadByte();
            if (n > 8) throw new FormatException($"LONG1 of {n} bytes does not fit 64 bits");
            var bytes = Take(n);
            long v = 0;
            for (var i = n - 1; i >= 0; i--) v = (v << 8) | bytes[i];
            // Sign-extend from the top byte.
            if (n is > 0 and < 8 && (bytes[n - 1] & 0x80) != 0) v -= 1L << (8 * n);
            return v;
        }
    }
}
