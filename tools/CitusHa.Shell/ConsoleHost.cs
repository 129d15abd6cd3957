using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;

namespace CitusHa.Shell;

/// <summary>Writes everything to the console; has no interactive prompts (a non-interactive host).</summary>
internal sealed class ConsoleHost : PSHost
{
    private readonly Guid id = Guid.NewGuid();

    public int ExitCode { get; private set; }

    public override CultureInfo CurrentCulture => CultureInfo.CurrentCulture;

    public override CultureInfo CurrentUICulture => CultureInfo.CurrentUICulture;

    public override Guid InstanceId => id;

    public override string Name => "citusha-shell";

    public override PSHostUserInterface UI { get; } = new ConsoleUserInterface();

    public override Version Version => new(1, 0);

    public override void EnterNestedPrompt() => throw new NotSupportedException();

    public override void ExitNestedPrompt() => throw new NotSupportedException();

    public override void NotifyBeginApplication()
    {
    }

    public override void NotifyEndApplication()
    {
    }

    public override void SetShouldExit(int exitCode) => ExitCode = exitCode;

    private sealed class ConsoleUserInterface : PSHostUserInterface
    {
        public override PSHostRawUserInterface RawUI { get; } = new CitusHa.Hosting.FixedSizeRawUserInterface(ConsoleWidth());

        public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions) =>
            throw new PSInvalidOperationException($"citusha-shell is non-interactive and cannot prompt: {caption} {message}");

        public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice) =>
            throw new PSInvalidOperationException($"citusha-shell is non-interactive and cannot ask: {caption} {message}. Pass -Force or -Confirm:$false.");

        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) =>
            throw new PSInvalidOperationException("citusha-shell is non-interactive: pass -Credential.");

        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) =>
            throw new PSInvalidOperationException("citusha-shell is non-interactive: pass -Credential.");

        public override string ReadLine() => Console.ReadLine() ?? string.Empty;

        public override SecureString ReadLineAsSecureString() => throw new PSInvalidOperationException("citusha-shell cannot read secrets.");

        // GetOutputString strips ANSI sequences unless $PSStyle.OutputRendering asks for them.
        public override void Write(string value) => Console.Write(GetOutputString(value, supportsVirtualTerminal: false));

        public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Write(value);

        public override void WriteLine(string value) => Console.WriteLine(GetOutputString(value, supportsVirtualTerminal: false));

        public override void WriteDebugLine(string message) => Console.Error.WriteLine($"DEBUG: {message}");

        public override void WriteErrorLine(string value) => Console.Error.WriteLine(value);

        public override void WriteProgress(long sourceId, ProgressRecord record)
        {
        }

        public override void WriteVerboseLine(string message) => Console.Error.WriteLine($"VERBOSE: {message}");

        public override void WriteWarningLine(string message) => Console.Error.WriteLine($"WARNING: {message}");

        private static int ConsoleWidth()
        {
            try
            {
                return Console.IsOutputRedirected ? 160 : Math.Max(80, Console.WindowWidth);
            }
            catch (IOException)
            {
                return 160;
            }
        }
    }
}
