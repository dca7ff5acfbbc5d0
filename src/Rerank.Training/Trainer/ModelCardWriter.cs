using System.Globalization;
using System.Text;

namespace Rerank.Training.Trainer;

/// <summary>Writes the README.md model card of a trained reranker.</summary>
internal static class ModelCardWriter
{
    /// <summary>The card's markdown.</summary>
    public static string Render(ModelCardInfo info, TrainingOptions options, TrainingResult result, string lossName)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("---");
        sb.AppendLine("library_name: sentence-transformers");
        sb.AppendLine("pipeline_tag: text-ranking");
        sb.AppendLine("tags: [cross-encoder, reranker, searchrerank]");
        if (info.BaseModelId is { } id) sb.AppendLine(inv, $"base_model: {id}");
        sb.AppendLine("---");
        sb.AppendLine();
        sb.AppendLine("# Cross-encoder reranker fine-tuned with SearchRerank");
        sb.AppendLine();
        var origin = info.MinedWith is { } stage ? $"on hard negatives mined with {stage} from the target index." : "on the training data below (no negatives mined by this run).";
        sb.AppendLine(inv, $"Base model: `{info.BaseModel}`. Trained by `rerank-train` (TorchSharp) {origin}");
        sb.AppendLine();
        sb.AppendLine("## Command");
        sb.AppendLine();
        sb.AppendLine("```");
        sb.AppendLine(info.Command);
        sb.AppendLine("```");
        sb.AppendLine();
        sb.AppendLine("## Data");
        sb.AppendLine();
        sb.AppendLine("| | |");
        sb.AppendLine("|---|---|");
        foreach (var (k, v) in info.DataStatistics) sb.AppendLine(inv, $"| {k} | {v} |");
        sb.AppendLine(inv, $"| training rows (query with candidates) | {result.TrainingRows} |");
        sb.AppendLine(inv, $"| training pairs per epoch | {result.TrainingPairs} |");
        sb.AppendLine();
        sb.AppendLine("## Hyperparameters");
        sb.AppendLine();
        sb.AppendLine("| setting | value |");
        sb.AppendLine("|---|---|");
        void Row(string k, string v) => sb.AppendLine(inv, $"| {k} | {v} |");
        Row("seed", options.Seed.ToString(inv));
        Row("loss", lossName + (result.PositiveWeight is { } pw ? string.Format(inv, " (pos_weight {0:0.###})", pw) : ""));
        Row("negatives per positive", options.NegativesPerPositive.ToString(inv));
        Row("learning rate (peak)", options.LearningRate.ToString("G", inv));
        Row("schedule", string.Format(inv, "linear warmup ({0:0.##} of steps) then linear decay to 0", options.WarmupRatio));
        Row("optimizer", string.Format(inv, "AdamW (betas {0}, {1}; eps {2:G}; weight decay {3:G}, not on biases/LayerNorm)", options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay));
        Row("max grad norm", options.MaxGradNorm.ToString("G", inv));
        Row("batch size", options.BatchSize.ToString(inv));
        Row("gradient accumulation", options.GradientAccumulationSteps.ToString(inv));
        Row("max length", options.MaxLength.ToString(inv));
        Row(options.MaxSteps is null ? "epochs" : "max steps", (options.MaxSteps ?? options.Epochs).ToString(inv));
        Row("optimizer steps done", result.Steps.ToString(inv) + (result.StoppedEarly ? " (stopped early)" : ""));
        Row("precision", options.Precision.ToString().ToLowerInvariant());
        sb.AppendLine();
        sb.AppendLine("## Dev curve");
        sb.AppendLine();
        if (result.DevCurve.Count == 0)
        {
            sb.AppendLine("No validation was run.");
        }
        else
        {
            var metric = info.DevMetric is { } m ? $"dev {m}" : "dev metric";
            sb.AppendLine(inv, $"Validations during training: {metric}.");
            sb.AppendLine();
            sb.AppendLine(inv, $"| step | epoch | training loss | {metric} |");
            sb.AppendLine("|---:|---:|---:|---:|");
            foreach (var e in result.DevCurve)
            {
                var best = e.Step == result.BestStep ? " (best)" : "";
                sb.AppendLine(inv, $"| {e.Step} | {e.Epoch} | {e.TrainingLoss:0.0000} | {e.Metric:0.0000}{best} |");
            }
            sb.AppendLine();
            sb.AppendLine("## Final dev metrics");
            sb.AppendLine();
            var saved = options.LoadBestModelAtEnd ? "best" : "last";
            var loaded = saved == "best" ? " (loaded back at the end)" : "";
            sb.AppendLine(inv, $"Best {metric} during training {result.BestMetric:0.0000} at step {result.BestStep}; the fine-tuned weights are the {saved} ones of the run{loaded}.");
        }
        return sb.ToString();
    }

    /// <summary>Writes README.md into <paramref name="folder"/>.</summary>
    public static void Write(string folder, ModelCardInfo info, TrainingOptions options, TrainingResult result, string lossName) =>
        File.WriteAllText(Path.Combine(folder, "README.md"), Render(info, options, result, lossName));
}
