using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Rerank.Lucene.Tokenization.SentencePiece;

/// <summary>
/// SentencePiece's precompiled normalization rules (the <c>precompiled_charsmap</c> of a model's
/// <c>normalizer_spec</c>, e.g. nmt_nfkc; Hugging Face's <c>Precompiled</c> normalizer), applied as Hugging Face's
/// Rust <c>tokenizers</c> applies them.
/// </summary>
/// <remarks>
/// The blob is a little-endian uint32 N, then N bytes of a darts-clone double-array trie (uint32 units) whose keys
/// are UTF-8 source strings and whose values are offsets into the rest of the blob: NUL-terminated UTF-8
/// replacements. The text is walked grapheme cluster by grapheme cluster: a cluster shorter than 6 UTF-8 bytes
/// is looked up whole; otherwise, or when that finds nothing, each of its characters is looked up alone; a
/// lookup takes the first (shortest) trie key that prefixes the string, and a string with no match stays as it is.
/// </remarks>
internal sealed class PrecompiledNormalizer
{
    private readonly uint[] _units;
    private readonly byte[] _normalized;

    /// <summary>Parses a charsmap blob.</summary>
    /// <exception cref="InvalidInputException">The blob is truncated or malformed; <paramref name="source"/> names it.</exception>
    public PrecompiledNormalizer(byte[] charsmap, string source)
    {
        InvalidInputException Bad(string problem) => new($"'{source}': the precompiled_charsmap {problem}. Restore tokenizer.json from the model's files.", source);
        if (charsmap.Length < 4) throw Bad("is shorter than its 4-byte header");
        var trieBytes = BinaryPrimitives.ReadUInt32LittleEndian(charsmap);
        if (trieBytes % 4 != 0 || trieBytes > charsmap.Length - 4 || trieBytes == 0) throw Bad($"declares a trie of {trieBytes} bytes in a blob of {charsmap.Length}");
        _units = new uint[trieBytes / 4];
        for (var i = 0; i < _units.Length; i++) _units[i] = BinaryPrimitives.ReadUInt32LittleEndian(charsmap.AsSpan(4 + 4 * i));
        _normalized = charsmap.AsSpan(4 + (int)trieBytes).ToArray();
    }

    /// <summary>Normalizes <paramref name="text"/>.</summary>
    public string Normalize(string text)
    {
        var output = new StringBuilder(text.Length);
        Span<byte> buffer = stackalloc byte[64];
        var at = 0;
        while (at < text.Length)
        {
            var length = StringInfo.GetNextTextElementLength(text, at);
            var cluster = text.AsSpan(at, length);
            at += length;
            var bytes = Encoding.UTF8.GetByteCount(cluster);
            if (bytes < 6)
            {
                var utf8 = buffer[..Encoding.UTF8.GetBytes(cluster, buffer)];
                if (Transform(utf8, output)) continue;
            }

            for (var i = 0; i < cluster.Length;)
            {
                var charLength = char.IsHighSurrogate(cluster[i]) && i + 1 < cluster.Length && char.IsLowSurrogate(cluster[i + 1]) ? 2 : 1;
                var one = cluster.Slice(i, charLength);
                i += charLength;
                var utf8 = buffer[..Encoding.UTF8.GetBytes(one, buffer)];
                if (!Transform(utf8, output)) output.Append(one);
            }
        }

        return output.ToString();
    }

    /// <summary>Appends the replacement of the first trie key that prefixes <paramref name="key"/>; false when none does.</summary>
    private bool Transform(ReadOnlySpan<byte> key, StringBuilder output)
    {
        var value = FirstPrefixValue(key);
        if (value < 0) return false;
        var end = value;
        while (end < _normalized.Length && _normalized[end] != 0) end++;
        output.Append(Encoding.UTF8.GetString(_normalized, value, end - value));
        return true;
    }

    /// <summary>darts-clone common-prefix search, stopped at its first result: the value of the shortest key prefixing <paramref name="key"/>, or -1.</summary>
    private int FirstPrefixValue(ReadOnlySpan<byte> key)
    {
        long node = 0;
        var unit = Unit(node);
        node ^= Offset(unit);
        foreach (var c in key)
        {
            node ^= c;
            unit = Unit(node);
            if (unit is null || Label(unit.Value) != c) return -1;
            node ^= Offset(unit);
            if (HasLeaf(unit.Value))
            {
                var leaf = Unit(node);
                if (leaf is null) return -1;
                var value = (int)(leaf.Value & 0x7FFFFFFF);
                return value < _normalized.Length ? value : -1;
            }
        }

        return -1;
    }

    private uint? Unit(long index) => index >= 0 && index < _units.Length ? _units[index] : null;

    private static long Offset(uint? unit) => unit is { } u ? (u >> 10) << (int)((u & (1u << 9)) >> 6) : 0;

    private static uint Label(uint unit) => unit & ((1u << 31) | 0xFF);

    private static bool HasLeaf(uint unit) => ((unit >> 8) & 1) == 1;
}
