using TorchSharp;
using static TorchSharp.torch;

namespace Rerank.Training.Losses;

/// <summary>
/// A training objective over a batch of rows. <c>scores</c> and <c>labels</c> are float
/// tensors of shape [rows, candidates]; <c>valid</c> is a bool tensor of the same shape that is
/// false for padding cells (rows with fewer negatives than the widest row). By convention the
/// first candidate of each row is a positive. Returns a scalar (mean over the batch).
/// </summary>
internal interface IRankingLoss
{
    /// <summary>A short name for logs and the model card.</summary>
    string Name { get; }

    /// <summary>Computes the scalar loss.</summary>
    Tensor Forward(Tensor scores, Tensor labels, Tensor valid);
}
