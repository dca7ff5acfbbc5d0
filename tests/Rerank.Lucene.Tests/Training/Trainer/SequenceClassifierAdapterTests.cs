using Rerank.Lucene.Modeling;
using Rerank.Lucene.Tests.Modeling;
using Rerank.Lucene.Tokenization;
using Rerank.Training.Trainer;
using TorchSharp;
using static Rerank.Lucene.Tests.Training.Trainer.TrainerFixtures;

using Rerank.Lucene.Tests.Native;

namespace Rerank.Lucene.Tests.Training.Trainer;

[Collection(TorchCollection.Name)]
public sealed class SequenceClassifierAdapterTests
{
    [Fact]
    public void Train_TinyBertWithPairEncoder_SavesHuggingFaceFolderThatReloadsToSameWeights()
    {
        var dir = TestPaths.NewTempDir();
        var vocabPath = TinyBert.WriteVocab(dir);
        var encoder = new PairBatchEncoder(new BertPairEncoder(vocabPath));
        var output = Path.Combine(dir, "model");
        SequenceClassifierAdapter? adapter = null;
        var options = TinyOptions(output) with { MaxLength = 16, Epochs = 1 };
        var result = new CrossEncoderTrainer(options, device =>
            {
                var model = new BertForSequenceClassification(TinyBert.Config());
                model.to(device);
                return adapter = new SequenceClassifierAdapter(model, new BertArchitecture(), new BertPairEncoder(vocabPath), dir, 16);
            }, encoder)
            .Train(Groups(4, negatives: 1), new TrainingHooks(ModelCard: new ModelCardInfo("tiny-bert", "rerank-train --test", [])));

        Assert.Equal(2, result.Steps);
        Assert.True(File.Exists(Path.Combine(output, "config.json")));
        Assert.True(File.Exists(Path.Combine(output, "vocab.txt")));
        Assert.True(File.Exists(Path.Combine(output, "README.md")));
        var reloaded = BertModelFolder.LoadForSequenceClassification(output, ClassifierHeadPolicy.RequireTrained);
        var expected = adapter!.Model.ExportWeights();
        foreach (var (name, data) in reloaded.ExportWeights()) Assert.Equal(expected[name].Values, data.Values);
    }
}
