namespace Rerank.Lucene.Tokenization;

/// <summary>
/// Longest-first truncation of a (query, document) pair exactly as Hugging Face's Rust
/// <c>tokenizers</c> crate does it (the fast tokenizer that sentence-transformers'
/// CrossEncoder runs), which is not the one-token-at-a-time loop of the Python slow tokenizer.
/// </summary>
/// <remarks>
/// Rust computes the kept lengths directly. Call the shorter side <c>a</c> and the longer <c>b</c>
/// (on a tie the query is <c>a</c>). If <c>a</c> fits in half of the budget, <c>a</c> is kept
/// whole and <c>b</c> gets the rest; otherwise both are cut to half the budget and an odd
/// budget gives its extra token to <c>b</c>.
/// <para>Worked example, 5 query tokens and 5 document tokens, <c>max_length</c> 10, so a budget
/// of 10 − 3 = 7 content tokens ([CLS], [SEP], [SEP] take 3):</para>
/// <list type="bullet">
/// <item>Rust: a = query = 5 (tie), 5 &gt; 7 − 5, so both are halved: query 7 / 2 = 3,
/// document 3 + 7 % 2 = 4, kept (3, 4).</item>
/// <item>Python slow loop: remove from the longer, the second on a tie: (5, 4), (4, 4), (4, 3),
/// kept (4, 3).</item>
/// </list>
/// The two agree whenever only one side is cut or the budget is even; they differ by one token
/// when both sides are cut and the budget is odd. The fixture tests/fixtures/tokenizer/expected.json
/// holds this case as produced by the Rust code.
/// </remarks>
internal static class PairTruncation
{
    /// <summary>How many leading tokens of each side to keep so that together they fit <paramref name="budget"/>.</summary>
    public static (int Query, int Document) LongestFirst(int queryLength, int documentLength, int budget)
    {
        if (queryLength + documentLength <= budget) return (queryLength, documentLength);
        var documentIsShorter = queryLength > documentLength;
        var shorter = Math.Min(queryLength, documentLength);
        int keptShorter, keptLonger;
        if (shorter <= budget - shorter)
        {
            keptShorter = shorter;
            keptLonger = budget - shorter;
        }
        else
        {
            keptShorter = budget / 2;
            keptLonger = budget / 2 + budget % 2;
        }
        var (query, document) = documentIsShorter ? (keptLonger, keptShorter) : (keptShorter, keptLonger);
        return (Math.Min(query, queryLength), Math.Min(document, documentLength));
    }
}
