using Rerank.Lucene.Reranking;
using Rerank.Lucene.Tests.Cli;

namespace Rerank.Lucene.Tests.Reranking;

/// <summary>
/// Where the default reranker is looked for: $SEARCHRERANK_MODELS/default-reranker, then
/// models/default-reranker beside the program, then under the working folder (never its parents).
/// The tests pass the variable, program folder and working folder explicitly, so the machine's own
/// environment does not matter.
/// </summary>
public sealed class DefaultRerankerTests
{
    private static string CommittedModel => Path.Combine(TestPaths.RepoRoot, "models", "default-reranker");

    private static string MakeModelFolder(string modelsFolder)
    {
        var dir = Path.Combine(modelsFolder, DefaultReranker.FolderName);
        Directory.CreateDirectory(dir);
        return dir;
    }

    [Fact]
    public void Find_WorkingFolderIsTheRepositoryRoot_FindsTheCommittedModel()
    {
        using var program = new TempFolder("program");

        var found = DefaultReranker.Find(DefaultReranker.SearchPaths(null, program.Path, TestPaths.RepoRoot));

        Assert.Equal(CommittedModel, found);
    }

    [Fact]
    public void Find_WorkingFolderIsASubfolderOfTheRepository_IsNull()
    {
        using var program = new TempFolder("program");

        var found = DefaultReranker.Find(DefaultReranker.SearchPaths(null, program.Path, Path.Combine(TestPaths.RepoRoot, "src", "Search.Host")));

        Assert.Null(found);
    }

    [Fact]
    public void Find_OutsideAnyRepositoryWithNothingBesideTheProgram_IsNull()
    {
        using var program = new TempFolder("program");
        using var working = new TempFolder("working");

        Assert.Null(DefaultReranker.Find(DefaultReranker.SearchPaths(null, program.Path, working.Path)));
    }

    [Fact]
    public void SearchPaths_VariableSet_VariableThenProgramThenWorkingFolder()
    {
        var paths = DefaultReranker.SearchPaths("/srv/models", "/opt/app", "/home/me/work");

        Assert.Equal(
            ["/srv/models/default-reranker", "/opt/app/models/default-reranker", "/home/me/work/models/default-reranker"],
            paths);
    }

    [Fact]
    public void SearchPaths_VariableUnsetOrBlank_ProgramThenWorkingFolder()
    {
        Assert.Equal(["/opt/app/models/default-reranker", "/home/me/work/models/default-reranker"],
            DefaultReranker.SearchPaths(null, "/opt/app/", "/home/me/work"));
        Assert.Equal(["/opt/app/models/default-reranker", "/home/me/work/models/default-reranker"],
            DefaultReranker.SearchPaths("  ", "/opt/app", "/home/me/work"));
    }

    [Fact]
    public void SearchPaths_ProgramRunFromItsOwnFolder_ListedOnce()
    {
        Assert.Equal(["/opt/app/models/default-reranker"], DefaultReranker.SearchPaths(null, "/opt/app/", "/opt/app"));
    }

    [Fact]
    public void Find_SeveralPresent_FollowsTheOrderAndFallsBackWhenOneIsMissing()
    {
        using var variable = new TempFolder("models");
        using var program = new TempFolder("program");
        using var working = new TempFolder("working");
        var fromVariable = MakeModelFolder(variable.Path);
        var besideProgram = MakeModelFolder(program.Combine("models"));
        var inWorking = MakeModelFolder(working.Combine("models"));
        IReadOnlyList<string> Paths() => DefaultReranker.SearchPaths(variable.Path, program.Path, working.Path);

        Assert.Equal(fromVariable, DefaultReranker.Find(Paths()));
        Directory.Delete(fromVariable);
        Assert.Equal(besideProgram, DefaultReranker.Find(Paths()));
        Directory.Delete(besideProgram);
        Assert.Equal(inWorking, DefaultReranker.Find(Paths()));
        Directory.Delete(inWorking);
        Assert.Null(DefaultReranker.Find(Paths()));
    }

    [Fact]
    public void NotFoundMessage_NamesEveryPlaceLookedAndTheVariable()
    {
        var paths = DefaultReranker.SearchPaths(null, "/opt/app", "/home/me/work");

        var message = DefaultReranker.NotFoundMessage(paths, variableSet: false);

        Assert.StartsWith("No default reranker found. Looked for a model folder at, in order: "
            + "/opt/app/models/default-reranker, /home/me/work/models/default-reranker (SEARCHRERANK_MODELS is not set). ", message);
        Assert.Contains("set SEARCHRERANK_MODELS to a folder that contains default-reranker/", message);
    }

    [Fact]
    public void Locate_ExplicitFolder_ReturnedAsGivenWithoutLookingElsewhere()
    {
        using var model = new TempFolder("model");

        Assert.Equal(model.Path, DefaultReranker.Locate(model.Path));
    }

    [Fact]
    public void Locate_ExplicitFolderMissing_ThrowsNamingIt()
    {
        using var temp = new TempFolder("model");
        var missing = temp.Combine("nope");

        var e = Assert.Throws<InvalidInputException>(() => DefaultReranker.Locate(missing));

        Assert.StartsWith($"Model folder '{missing}' does not exist.", e.Message);
    }
}
