using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Rerank.Lucene.Modeling;

/// <summary>
/// Hugging Face <c>BertEmbeddings</c>: word + absolute position + token type embeddings, then
/// LayerNorm and dropout. Keys: <c>word_embeddings.weight</c>, <c>position_embeddings.weight</c>,
/// <c>token_type_embeddings.weight</c>, <c>LayerNorm.weight</c>, <c>LayerNorm.bias</c>.
/// The <c>position_ids</c> buffer Hugging Face keeps (saved by transformers before 4.31) is not a
/// weight: positions are computed as 0..L-1 on the input's device, and the checkpoint loader
/// skips a saved <c>embeddings.position_ids</c> (see <see cref="StrictWeightLoader"/>).
/// </summary>
internal sealed class BertEmbeddings : nn.Module<Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "word_embeddings")]
    private readonly TorchSharp.Modules.Embedding _wordEmbeddings;

    [ComponentName(Name = "position_embeddings")]
    private readonly TorchSharp.Modules.Embedding _positionEmbeddings;

    [ComponentName(Name = "token_type_embeddings")]
    private readonly TorchSharp.Modules.Embedding _tokenTypeEmbeddings;

    [ComponentName(Name = "LayerNorm")]
    private readonly LayerNorm _layerNorm;

    [ComponentName(Name = "dropout")]
    private readonly Dropout _dropout;

    /// <param name="config">The model configuration.</param>
    /// <param name="width">Embedding width; default the hidden size (ELECTRA passes its embedding_size).</param>
    public BertEmbeddings(BertConfig config, int? width = null) : base(nameof(BertEmbeddings))
    {
        var size = width ?? config.HiddenSize;
        _wordEmbeddings = nn.Embedding(config.VocabSize, size, padding_idx: config.PadTokenId);
        _positionEmbeddings = nn.Embedding(config.MaxPositionEmbeddings, size);
        _tokenTypeEmbeddings = nn.Embedding(config.TypeVocabSize, size);
        _layerNorm = nn.LayerNorm(size, eps: config.LayerNormEps);
        _dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <summary>Zeroes the padding token's word embedding, as Hugging Face's initialisation does.</summary>
    public void ZeroPaddingRow(long padTokenId)
    {
        using var noGrad = no_grad();
        _wordEmbeddings.weight![padTokenId].zero_();
    }

    /// <summary>Embeds <paramref name="inputIds"/> [B, L] with segments <paramref name="tokenTypeIds"/> [B, L] into [B, L, H].</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds)
    {
        using var scope = NewDisposeScope();
        var length = inputIds.shape[1];
        var positions = arange(length, dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0);
        var embeddings = _wordEmbeddings.forward(inputIds)
            + _tokenTypeEmbeddings.forward(tokenTypeIds)
            + _positionEmbeddings.forward(positions);
        return _dropout.forward(_layerNorm.forward(embeddings)).MoveToOuterDisposeScope();
    }
}
