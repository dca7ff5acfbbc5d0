namespace Rerank.Lucene.Tokenization;

/// <summary>
/// Longest-first truncation of a (query, document) pair exactly as Hugging Face's Rust
/// <c>tokenizers</c> does it (the fast tokenizer that sentence-transformers' CrossEncoder runs),
/// which is not the one-token-at-a-time loop of the Python slow tokenizer.
/// </summary>
/// <remarks>
/// Rust computes the kept lengths in one step. With <c>budget</c> = max_length − 3 ([CLS], [SEP],
/// [SEP]), the shorter side <c>s</c> and the longer <c>l</c> (on a tie the query counts as the shorter):
/// <list type="number">
/// <item>everything fits: nothing is cut;</item>
/// <item><c>s</c> ≤ budget / 2: <c>s</c> is kept whole, <c>l</c> gets budget − s;</item>
/// <item><c>s</c> ≥ max_length (both sides at least as long as the whole max_length): the query
/// keeps budget / 2 (rounded down), the document the rest;</item>
/// <item>otherwise: <c>s</c> keeps budget / 2 (rounded down) and <c>l</c> the rest.</item>
/// </list>
/// Cases 3 and 4 differ only for an odd budget when the query is the longer side: with
/// max_length 10 (budget 7), (12, 10) tokens keep (3, 4) by case 3, while (9, 5) keep (4, 3) by
/// case 4. This was measured on the compiled Rust library through its Node bindings (npm
/// <c>tokenizers</c> 0.23.2) for every pair of lengths up to 12 and max_length 4 to 12
/// (expected.json's <c>truncationGrid</c>); the published source of <c>truncate_encodings</c>
/// reads as if case 4 always applied, so the table, not the source, is what this follows.
/// <para>Worked example, 5 query and 5 document tokens, max_length 10, so budget 7:</para>
/// <list type="bullet">
/// <item>Rust: a tie, so the query is <c>s</c>; 5 &gt; 7 / 2 and 5 &lt; 10, case 4: query
/// 7 / 2 = 3, document 7 − 3 = 4, kept (3, 4).</item>
/// <item>Python slow loop (remove one token from the longer side, the second on a tie):
/// (5, 4), (4, 4), (4, 3), kept (4, 3).</item>
/// </list>
/// The two agree whenever only one side is cut or the budget is even.
/// </remarks>
internal static class PairTruncation
{
    /// <summary>Special tokens of a BERT pair: [CLS], [SEP], [SEP].</summary>
    public const int PairSpecialTokens = 3;

    /// <summary>
    /// How many leading tokens of each side to keep so that the pair fits <paramref name="maxLength"/> with its
    /// <paramref name="specialTokens"/> special tokens (3 for BERT's [CLS] q [SEP] d [SEP], 4 for XLM-RoBERTa's
    /// &lt;s&gt; q &lt;/s&gt;&lt;/s&gt; d &lt;/s&gt;; the rule with 4 was checked against the same Rust library on
    /// every pair of lengths up to 18 and max_length 6 to 16).
    /// </summary>
    public static (int Query, int Document) LongestFirst(int queryLength, int documentLength, int maxLength, int specialTokens = PairSpecialTokens)
    {
        var budget = maxLength - specialTokens;
        if (queryLength + documentLength <= budget) return (queryLength, documentLength);
        var half = budget / 2;
        var rest = budget - half;
        var shorter = Math.Min(queryLength, documentLength);
        if (shorter >= maxLength) return (half, rest);
        var queryIsShorter = queryLength <= documentLength;
        if (shorter <= half)
        {
            return queryIsShorter ? (queryLength, budget - queryLength) : (budget - documentLength, documentLength);
        }
        return queryIsShorter ? (half, rest) : (rest, half);
    }
}
