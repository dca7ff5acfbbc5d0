using Rerank.Lucene.Indexing;
using Spectre.Console;

namespace Search.Host.Cli;

/// <summary>
/// Progress for long jobs: a live bar (documents, rate, ETA) on a terminal, or a line every few
/// seconds when standard error is redirected, so logs stay readable.
/// </summary>
internal static class ProgressDisplay
{
    private static readonly TimeSpan LineInterval = TimeSpan.FromSeconds(5);

    /// <summary>Runs an indexing job while showing its progress on standard error.</summary>
    public static T Run<T>(ConsoleOutput console, string title, Func<IProgress<IndexingProgress>, T> job)
    {
        if (!console.Interactive)
        {
            var last = TimeSpan.Zero;
            return job(new SynchronousProgress<IndexingProgress>(p =>
            {
                if (p.Elapsed - last < LineInterval) return;
                last = p.Elapsed;
                console.Error.WriteLine(Describe(title, p));
            }));
        }

        T result = default!;
        console.Err.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(title, maxValue: 1);
                result = job(new SynchronousProgress<IndexingProgress>(p =>
                {
                    if (p.TotalDocuments is { } total && total > 0) task.MaxValue = total;
                    task.Value = p.DocumentsDone;
                    task.Description = Describe(title, p);
                }));
                task.Value = task.MaxValue;
            });
        return result;
    }

    /// <summary>"Indexing: 1,200/5,183 docs, 850 docs/s, ETA 5s".</summary>
    internal static string Describe(string title, IndexingProgress p)
    {
        var rate = p.Elapsed.TotalSeconds > 0 ? p.DocumentsDone / p.Elapsed.TotalSeconds : 0;
        var text = $"{title} ({p.Stage}): {p.DocumentsDone:N0}";
        if (p.TotalDocuments is { } total && total > 0)
        {
            text += $"/{total:N0} docs";
            if (rate > 0 && p.DocumentsDone < total) text += $", {rate:N0} docs/s, ETA {TimeSpan.FromSeconds((total - p.DocumentsDone) / rate):mm\\:ss}";
        }
        else
        {
            text += $" docs, {rate:N0} docs/s";
        }
        return text;
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool and reorder updates).</summary>
    private sealed class SynchronousProgress<TValue>(Action<TValue> report) : IProgress<TValue>
    {
        public void Report(TValue value) => report(value);
    }
}
