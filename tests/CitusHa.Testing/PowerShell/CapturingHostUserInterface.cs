using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Text;
using System.Text.RegularExpressions;

namespace CitusHa.Testing.PowerShell;

/// <summary>Captures console text (ANSI codes stripped) and answers prompts from queues.</summary>
public sealed partial class CapturingHostUserInterface : PSHostUserInterface
{
    private readonly StringBuilder text = new();
    private readonly object gate = new();

    public CapturingHostUserInterface(int width)
    {
        RawUI = new FixedSizeRawUserInterface(width);
    }

    /// <summary>Choice indexes to answer PromptForChoice with (ShouldProcess confirmations), in order.</summary>
    public Queue<int> ChoiceAnswers { get; } = new();

    /// <summary>Every confirmation caption and message asked, for assertions.</summary>
    public List<string> PromptsAsked { get; } = [];

    public override PSHostRawUserInterface RawUI { get; }

    public string Text
    {
        get
        {
            lock (gate)
            {
                return Ansi().Replace(text.ToString(), string.Empty);
            }
        }
    }

    public void Clear()
    {
        lock (gate)
        {
            text.Clear();
        }
    }

    public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions) =>
        throw new InvalidOperationException($"The test host was prompted for input it has no answer for: {caption} {message}");

    public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice)
    {
        PromptsAsked.Add($"{caption}|{message}");
        return ChoiceAnswers.Count > 0
            ? ChoiceAnswers.Dequeue()
            : throw new InvalidOperationException($"The test host was asked to choose but has no answer queued: {caption} {message}");
    }

    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) =>
        throw new InvalidOperationException($"The test host was prompted for a credential: {caption}");

    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) =>
        throw new InvalidOperationException($"The test host was prompted for a credential: {caption}");

    public override string ReadLine() => throw new InvalidOperationException("The test host cannot read a line.");

    public override SecureString ReadLineAsSecureString() => throw new InvalidOperationException("The test host cannot read a line.");

    public override void Write(string value) => Append(value);

    public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Append(value);

    public override void WriteLine(string value) => Append(value + "\n");

    public override void WriteDebugLine(string message) => Append($"DEBUG: {message}\n");

    public override void WriteErrorLine(string value) => Append($"{value}\n");

    public override void WriteProgress(long sourceId, ProgressRecord record)
    {
    }

    public override void WriteVerboseLine(string message) => Append($"VERBOSE: {message}\n");

    public override void WriteWarningLine(string message) => Append($"WARNING: {message}\n");

    private void Append(string value)
    {
        lock (gate)
        {
            text.Append(value);
        }
    }

    [GeneratedRegex(@"\x1b\[[0-9;?]*[A-Za-z]")]
    private static partial Regex Ansi();
}
