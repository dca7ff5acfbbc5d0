namespace Rerank.Lucene;

/// <summary>
/// Bad input from a user: a malformed file, a missing field, a wrong path or option.
/// The message says what was expected, what was found, where (file and line when known)
/// and how to fix it. Command-line programs print the message without a stack trace and
/// exit with a non-zero code.
/// </summary>
public class InvalidInputException : Exception
{
    /// <summary>Creates the exception; <paramref name="message"/> should already name the fix.</summary>
    /// <param name="message">The full, user-facing message.</param>
    /// <param name="path">The file or folder at fault, when there is one.</param>
    /// <param name="line">The 1-based line number at fault, when there is one.</param>
    /// <param name="inner">The underlying exception, if any.</param>
    public InvalidInputException(string message, string? path = null, int? line = null, Exception? inner = null)
        : base(message, inner)
    {
        Path = path;
        Line = line;
    }

    /// <summary>The file or folder at fault, or null.</summary>
    public string? Path { get; }

    /// <summary>The 1-based line at fault, or null.</summary>
    public int? Line { get; }
}
