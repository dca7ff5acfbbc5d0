using Rerank.Lucene.Tokenization;

namespace Rerank.Benchmarks;

/// <summary>
/// (query, document) pairs that encode to exactly a given number of tokens ([CLS] and both [SEP]
/// included) under a larger max length, so a batch of them has no padding at all.
/// </summary>
internal static class ExactLengthPairs
{
    /// <summary>
    /// <paramref name="count"/> pairs of exactly <paramref name="length"/> tokens: query i is claim i
    /// of <paramref name="sample"/>; its document is real abstract text taken word by word from the
    /// corpus (starting at a different abstract for each pair) until the pair is full, topped up with
    /// the one-token word "a" where the next word would overshoot.
    /// </summary>
    /// <remarks>
    /// BERT's tokenizer splits on whitespace before WordPiece, so a document's token count is the sum
    /// of its words' counts; each word is counted once with <see cref="BertPairEncoder.EncodeText"/>
    /// (its length minus [CLS] and [SEP]) and the finished pair is checked with
    /// <see cref="BertPairEncoder.Encode"/>.
    /// </remarks>
    public static List<(string Query, string Document)> Build(BertPairEncoder encoder, ScifactSample sample, int length, int count)
    {
        var counter = new WordCounter(encoder);
        var pairs = new List<(string, string)>(count);
        for (var i = 0; i < count; i++)
        {
            var query = sample.Queries[i % sample.Queries.Count].Text;
            pairs.Add((query, Document(encoder, counter, sample, query, length, i * 7, $"Pair {i}")));
        }
        return pairs;
    }

    /// <summary>
    /// <paramref name="rows"/> training rows of one query (claim r of <paramref name="sample"/>) and
    /// <paramref name="documentsPerRow"/> documents, each pair exactly <paramref name="length"/> tokens,
    /// documents built as in <see cref="Build"/>.
    /// </summary>
    public static List<(string Query, List<string> Documents)> Rows(BertPairEncoder encoder, ScifactSample sample, int length, int rows, int documentsPerRow)
    {
        var counter = new WordCounter(encoder);
        var result = new List<(string, List<string>)>(rows);
        for (var r = 0; r < rows; r++)
        {
            var query = sample.Queries[r % sample.Queries.Count].Text;
            var documents = new List<string>(documentsPerRow);
            for (var d = 0; d < documentsPerRow; d++)
            {
                var i = r * documentsPerRow + d;
                documents.Add(Document(encoder, counter, sample, query, length, i * 7, $"Row {r} document {d}"));
            }
            result.Add((query, documents));
        }
        return result;
    }

    private sealed class WordCounter(BertPairEncoder encoder)
    {
        private readonly Dictionary<string, int> _tokens = new(StringComparer.Ordinal);

        public int Tokens(string word)
        {
            if (!_tokens.TryGetValue(word, out var n)) _tokens[word] = n = encoder.EncodeText(word, encoder.Options.MaxPositions).Length - 2;
            return n;
        }
    }

    private static string Document(BertPairEncoder encoder, WordCounter counter, ScifactSample sample, string query, int length, int firstDocument, string what)
    {
        var queryTokens = encoder.Encode(query, "a", encoder.Options.MaxPositions).Length - 4;
        var room = length - 3 - queryTokens;
        if (room < 1) throw new InvalidOperationException($"Query '{query}' leaves no room in {length} tokens.");

        var words = new List<string>();
        var used = 0;
        for (var doc = firstDocument; used < room; doc++)
        {
            foreach (var word in sample.CorpusTexts[doc % sample.CorpusTexts.Count].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var n = counter.Tokens(word);
                if (used + n > room) continue;
                words.Add(word);
                used += n;
                if (used == room) break;
            }
            while (used < room && used > room - 3)
            {
                words.Add("a");
                used++;
            }
        }

        var document = string.Join(' ', words);
        var actual = encoder.Encode(query, document, encoder.Options.MaxPositions).Length;
        if (actual != length) throw new InvalidOperationException($"{what} encodes to {actual} tokens, expected {length}.");
        return document;
    }

    /// <summary>
    /// Each pair's document with enough corpus text appended that the pair is cut to exactly
    /// <paramref name="maxLength"/> tokens: the compute of padding every pair to the max length.
    /// </summary>
    public static List<(string Query, string Document)> FillToMax(
        BertPairEncoder encoder, IReadOnlyList<(string Query, string Document)> pairs, ScifactSample sample, int maxLength)
    {
        var filler = string.Join(' ', sample.CorpusTexts.Take(8));
        var result = pairs.Select(p => (p.Query, p.Document + " " + filler)).ToList();
        foreach (var (query, document) in result)
        {
            var actual = encoder.Encode(query, document, maxLength).Length;
            if (actual != maxLength) throw new InvalidOperationException($"A filled pair encodes to {actual} tokens, expected {maxLength}.");
        }
        return result;
    }
}
