using TorchSharp.Utils;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rerank.Lucene.Modeling.XlmRoberta;

/// <summary>
/// Hugging Face <c>XLMRobertaEmbeddings</c> (keys as <see cref="BertEmbeddings"/>): word + position + token type
/// embeddings, LayerNorm, dropout. Positions count the non-padding tokens from <c>pad_token_id + 1</c>
/// (<c>create_position_ids_from_input_ids</c>): a pair of length L takes positions pad+1 .. pad+L and padding
/// takes pad_token_id, so the model can read at most max_position_embeddings − pad_token_id − 1 tokens.
/// </summary>
internal sealed class XlmRobertaEmbeddings : nn.Module<Tensor, Tensor, Tensor>
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

    private readonly long _padId;

    public XlmRobertaEmbeddings(BertConfig config) : base(nameof(XlmRobertaEmbeddings))
    {
        _padId = config.PadTokenId;
        _wordEmbeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId);
        _positionEmbeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize, padding_idx: config.PadTokenId);
        _tokenTypeEmbeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        _layerNorm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        _dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <summary>Embeds ids [B, L] with token types [B, L] into [B, L, H].</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds)
    {
        using var scope = NewDisposeScope();
        var notPad = inputIds.ne(_padId).to(ScalarType.Int64);
        var positions = notPad.cumsum(1).mul(notPad).add(_padId);
        var embeddings = _wordEmbeddings.forward(inputIds) + _tokenTypeEmbeddings.forward(tokenTypeIds) + _positionEmbeddings.forward(positions);
        return _dropout.forward(_layerNorm.forward(embeddings)).MoveToOuterDisposeScope();
    }
}
