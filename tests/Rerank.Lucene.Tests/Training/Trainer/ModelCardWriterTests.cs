using Rerank.Training.Trainer;

namespace Rerank.Lucene.Tests.Training.Trainer;

public sealed class ModelCardWriterTests
{
    [Fact]
    public void Render_WithDevCurve_ListsCommandSeedCurveAndBest()
    {
        var info = new ModelCardInfo("cross-encoder/ms-marco-MiniLM-L-6-v2", "rerank-train --index ./idx --seed 12",
            [new("train queries", "809"), new("negatives mined per query", "5 (BM25 ranks 10-100)")], BaseModelId: "cross-encoder/ms-marco-MiniLM-L-6-v2");
        var options = new TrainingOptions { OutputDirectory = "out" };
        var result = new TrainingResult("out", 200, false, 0.7123, 100,
            [new DevEvaluation(100, 0, 0.7123, 0.41), new DevEvaluation(200, 1, 0.70, 0.3)], 4.0, 809, 4045);
        var card = ModelCardWriter.Render(info, options, result, "BinaryCrossEntropy");
        Assert.Contains("base_model: cross-encoder/ms-marco-MiniLM-L-6-v2", card);
        Assert.Contains("rerank-train --index ./idx --seed 12", card);
        Assert.Contains("| train queries | 809 |", card);
        Assert.Contains("| seed | 12 |", card);
        Assert.Contains("| loss | BinaryCrossEntropy (pos_weight 4) |", card);
        Assert.Contains("| 100 | 0 | 0.4100 | 0.7123 (best) |", card);
        Assert.Contains("| 200 | 1 | 0.3000 | 0.7000 |", card);
        Assert.Contains("Best dev metric during training 0.7123 at step 100; the fine-tuned weights are the best ones of the run (loaded back at the end).", card);
        Assert.Contains("on the training data below (no negatives mined by this run).", card);
        Assert.DoesNotContain("BM25-mined", card);
    }

    [Fact]
    public void Render_MinedWithAndDevDepth_NamedInTheCard()
    {
        var info = new ModelCardInfo("base", "rerank-train", [], MinedWith: "hybrid (bm25 + dense)", DevMetric: "nDCG@10 over hybrid top 20");
        var result = new TrainingResult("out", 2, false, 0.5, 2, [new DevEvaluation(2, 0, 0.5, 0.4)], null, 4, 8);

        var card = ModelCardWriter.Render(info, new TrainingOptions { OutputDirectory = "out" }, result, "BinaryCrossEntropy");

        Assert.Contains("Trained by `rerank-train` (TorchSharp) on hard negatives mined with hybrid (bm25 + dense) from the target index.", card);
        Assert.DoesNotContain("BM25-mined", card);
        Assert.Contains("| step | epoch | training loss | dev nDCG@10 over hybrid top 20 |", card);
        Assert.Contains("Best dev nDCG@10 over hybrid top 20 during training 0.5000 at step 2;", card);
        Assert.DoesNotContain("this folder holds", card);
    }

    [Fact]
    public void Render_FolderBaseWithoutHubId_NoBaseModelMetadata_TheTextNamesTheFolder()
    {
        // The Hub reads base_model as a model id: a local folder (or a description) there is wrong metadata.
        var info = new ModelCardInfo("./models/start", "rerank-train", []);
        var result = new TrainingResult("out", 2, false, null, null, [], null, 4, 8);

        var card = ModelCardWriter.Render(info, new TrainingOptions { OutputDirectory = "out" }, result, "BinaryCrossEntropy");

        Assert.StartsWith("---\nlibrary_name: sentence-transformers\npipeline_tag: text-ranking\ntags: [cross-encoder, reranker, searchrerank]\n---\n", card.Replace("\r\n", "\n"));
        Assert.Contains("Base model: `./models/start`.", card);
    }
}
