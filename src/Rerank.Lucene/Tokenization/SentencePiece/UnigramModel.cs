namespace Rerank.Lucene.Tokenization.SentencePiece;

/// <summary>
/// A SentencePiece Unigram language model (Kudo 2018) as Hugging Face's Rust <c>Unigram</c> encodes with it: the
/// Viterbi segmentation of each pre-tokenized word that maximises the sum of piece log-probabilities. A character
/// no piece covers becomes <c>unk</c> with the score min(score) − 10, and consecutive unknowns are fused into one.
/// On equal path scores the candidate met first wins (shorter pieces are met first at each start).
/// </summary>
internal sealed class UnigramModel
{
    private const double UnknownPenalty = 10.0;
    private readonly Dictionary<string, (int Id, double Score)> _pieces;
    private readonly Dictionary<string, (int Id, double Score)>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly int _maxPieceChars;
    private readonly double _unknownScore;

    /// <summary>Builds the model from pieces in id order.</summary>
    /// <param name="pieces">(piece, log-probability) for ids 0, 1, ...</param>
    /// <param name="unknownId">The id of the unknown piece.</param>
    public UnigramModel(IReadOnlyList<(string Piece, double Score)> pieces, int unknownId)
    {
        _pieces = new Dictionary<string, (int, double)>(StringComparer.Ordinal);
        for (var id = 0; id < pieces.Count; id++) _pieces.TryAdd(pieces[id].Piece, (id, pieces[id].Score));
        _lookup = _pieces.GetAlternateLookup<ReadOnlySpan<char>>();
        _maxPieceChars = pieces.Count == 0 ? 1 : pieces.Max(p => p.Piece.Length);
        _unknownScore = (pieces.Count == 0 ? 0 : pieces.Min(p => p.Score)) - UnknownPenalty;
        UnknownId = unknownId;
        Count = pieces.Count;
    }

    /// <summary>The id of the unknown piece.</summary>
    public int UnknownId { get; }

    /// <summary>Number of pieces.</summary>
    public int Count { get; }

    /// <summary>The id of <paramref name="piece"/>, or false.</summary>
    public bool TryGetId(string piece, out int id)
    {
        var found = _pieces.TryGetValue(piece, out var entry);
        id = entry.Id;
        return found;
    }

    /// <summary>Appends the ids of the best segmentation of <paramref name="word"/> to <paramref name="ids"/>.</summary>
    public void Encode(ReadOnlySpan<char> word, List<int> ids)
    {
        if (word.IsEmpty) return;
        var n = word.Length;
        var bestScore = new double[n + 1];
        var bestStart = new int[n + 1];
        var bestId = new int[n + 1];
        Array.Fill(bestStart, -1);
        bestStart[0] = 0;
        for (var start = 0; start < n; start++)
        {
            if (start > 0 && (bestStart[start] < 0 || char.IsLowSurrogate(word[start]))) continue;
            var charLength = char.IsHighSurrogate(word[start]) && start + 1 < n && char.IsLowSurrogate(word[start + 1]) ? 2 : 1;
            var here = bestScore[start];
            var coversChar = false;
            var limit = Math.Min(n - start, _maxPieceChars);
            for (var length = 1; length <= limit; length++)
            {
                var end = start + length;
                if (end < n && char.IsLowSurrogate(word[end])) continue; // not a character boundary
                if (!_lookup.TryGetValue(word.Slice(start, length), out var piece)) continue;
                var candidate = here + piece.Score;
                if (bestStart[end] < 0 || candidate > bestScore[end]) (bestScore[end], bestStart[end], bestId[end]) = (candidate, start, piece.Id);
                if (length == charLength) coversChar = true;
            }

            if (!coversChar)
            {
                var end = start + charLength;
                var candidate = here + _unknownScore;
                if (bestStart[end] < 0 || candidate > bestScore[end]) (bestScore[end], bestStart[end], bestId[end]) = (candidate, start, UnknownId);
            }
        }

        var path = new List<int>();
        for (var end = n; end > 0; end = bestStart[end]) path.Add(bestId[end]);
        path.Reverse();
        var previousUnknown = false;
        foreach (var id in path)
        {
            var unknown = id == UnknownId;
            if (!(unknown && previousUnknown)) ids.Add(id);
            previousUnknown = unknown;
        }
    }
}
