namespace Rerank.Lucene;

/// <summary>
/// Recognises command-line words that look like options and finds the closest known name for a
/// mistyped one, so both programs answer <c>--jsn</c> with "did you mean --json?". Plain strings in,
/// plain strings out: each program collects the words and option names with its own parser.
/// </summary>
internal static class OptionSpelling
{
    /// <summary>
    /// Whether <paramref name="word"/> is written like an option: '-' or '--', a letter, then letters,
    /// digits or '-', optionally followed by '=' or ':' and a value (<c>--top=5</c>). A query such as
    /// "-vaccine immune" (with a space) or a number such as -0.5 is not.
    /// </summary>
    public static bool LooksLikeOption(string word)
    {
        var name = Name(word);
        var start = name.StartsWith("--", StringComparison.Ordinal) ? 2 : name.StartsWith('-') ? 1 : -1;
        if (start < 0 || name.Length <= start || !char.IsAsciiLetter(name[start])) return false;
        for (var i = start + 1; i < name.Length; i++)
        {
            if (!(char.IsAsciiLetterOrDigit(name[i]) || name[i] == '-')) return false;
        }
        return true;
    }

    /// <summary>The option part of a word: <c>--top=5</c> gives <c>--top</c>.</summary>
    public static string Name(string word)
    {
        var end = word.IndexOfAny(['=', ':']);
        return end < 0 ? word : word[..end];
    }

    /// <summary>
    /// The known option closest to <paramref name="word"/>, or null when none is close: one that starts
    /// with what was typed (at least 3 letters), else the one with the fewest edits (insertions, deletions,
    /// substitutions, swaps of neighbours), at most a third of the typed name's letters (at least 1).
    /// Dashes in front are ignored, so <c>-json</c> finds <c>--json</c>.
    /// </summary>
    public static string? Closest(string word, IEnumerable<string> options)
    {
        var typed = Name(word).TrimStart('-').ToLowerInvariant();
        if (typed.Length == 0) return null;
        string? best = null;
        var bestDistance = int.MaxValue;
        var prefixMatches = new List<string>();
        foreach (var option in options.Distinct(StringComparer.Ordinal))
        {
            var known = option.TrimStart('-').ToLowerInvariant();
            if (known.Length < 2) continue; // a one-letter alias (-k) is never a convincing guess
            if (typed.Length >= 3 && known.StartsWith(typed, StringComparison.Ordinal)) prefixMatches.Add(option);
            var distance = Distance(typed, known);
            if (distance < bestDistance)
            {
                (best, bestDistance) = (option, distance);
            }
        }
        if (bestDistance <= Math.Max(1, typed.Length / 3)) return best;
        return prefixMatches.Count == 1 ? prefixMatches[0] : null;
    }

    /// <summary>
    /// The message for an unknown option: "unknown option '--jsn' for `search-host search`. Did you mean --json?"
    /// (without the question when no option is close).
    /// </summary>
    /// <param name="word">The word as typed.</param>
    /// <param name="command">The command as the user calls it, e.g. "search-host search".</param>
    /// <param name="options">The command's option names and aliases.</param>
    /// <param name="tookItAsArgument">The word sat where the command takes an argument (a query): tell how to pass such a value.</param>
    public static string UnknownOption(string word, string command, IEnumerable<string> options, bool tookItAsArgument)
    {
        var suggestion = Closest(word, options);
        var message = $"unknown option '{Name(word)}' for `{command}`." +
            (suggestion is null ? "" : $" Did you mean {suggestion}?");
        if (tookItAsArgument)
            message += $" To pass '{word}' itself as an argument, put -- before it.";
        return message;
    }

    /// <summary>Optimal string alignment distance: Levenshtein plus swaps of neighbouring letters.</summary>
    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}

/// <summary>
/// What a parsed command line holds that the parser itself may not flag, in plain strings: filled by each
/// program from its parser's result, turned into messages by <see cref="Messages"/>.
/// </summary>
/// <param name="Command">The command as typed, e.g. "search-host search".</param>
/// <param name="OptionNames">The names and aliases of every option the command accepts.</param>
/// <param name="ArgumentWords">Words the parser bound to the command's arguments (a query), except those after "--".</param>
/// <param name="UnmatchedWords">Words the parser could not place.</param>
/// <param name="ParserErrors">The parser's own error messages.</param>
/// <param name="Subcommands">The names of the command's subcommands (empty for a leaf command).</param>
internal sealed record CommandLineWords(
    string Command, IReadOnlyList<string> OptionNames, IReadOnlyList<string> ArgumentWords,
    IReadOnlyList<string> UnmatchedWords, IReadOnlyList<string> ParserErrors, IReadOnlyList<string>? Subcommands = null)
{
    /// <summary>
    /// One message per problem: each option-looking word the command does not know (bound to an argument or
    /// unmatched) with its closest option, then the parser's other errors. Empty when the line is fine.
    /// </summary>
    public List<string> Messages()
    {
        // A mistyped command (`search-host serch --index idx`): its options belong to the command meant, so
        // the command is the one problem to report.
        if (Subcommands is { Count: > 0 } && UnmatchedWords.FirstOrDefault(w => !OptionSpelling.LooksLikeOption(w)) is { } typed)
        {
            var meant = OptionSpelling.Closest(typed, Subcommands);
            return [$"unknown command '{typed}' for `{Command}`." + (meant is null ? $" Commands: {string.Join(", ", Subcommands)}." : $" Did you mean {meant}?")];
        }
        var messages = new List<string>();
        foreach (var word in ArgumentWords.Where(OptionSpelling.LooksLikeOption))
            messages.Add(OptionSpelling.UnknownOption(word, Command, OptionNames, tookItAsArgument: true));
        var unknown = UnmatchedWords.Where(OptionSpelling.LooksLikeOption).ToList();
        foreach (var word in unknown)
            messages.Add(OptionSpelling.UnknownOption(word, Command, OptionNames, tookItAsArgument: false));
        // The parser reports unmatched words as "Unrecognized command or argument '--jsn'": the messages above
        // replace those of the options, and after an unknown option the words that follow are most likely its value.
        var dropped = messages.Count > 0 ? UnmatchedWords : unknown;
        messages.AddRange(ParserErrors.Where(e => !dropped.Any(w => e.Contains($"'{w}'", StringComparison.Ordinal))));
        return messages;
    }
}
