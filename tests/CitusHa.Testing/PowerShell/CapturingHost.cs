using System.Globalization;
using System.Management.Automation.Host;

namespace CitusHa.Testing.PowerShell;

/// <summary>
/// A PowerShell host for tests: everything written to the console lands in <see cref="UI"/>'s text,
/// prompts are answered from queues (an unanswered prompt fails the test instead of hanging).
/// </summary>
public sealed class CapturingHost : PSHost
{
    private readonly Guid instanceId = Guid.NewGuid();

    public CapturingHost(int width = 160)
    {
        UI = new CapturingHostUserInterface(width);
    }

    public override CultureInfo CurrentCulture => CultureInfo.InvariantCulture;

    public override CultureInfo CurrentUICulture => CultureInfo.InvariantCulture;

    public override Guid InstanceId => instanceId;

    public override string Name => "CitusHa.TestHost";

    public override CapturingHostUserInterface UI { get; }

    public override Version Version => new(1, 0);

    public override void EnterNestedPrompt() => throw new NotSupportedException("The test host has no nested prompt.");

    public override void ExitNestedPrompt() => throw new NotSupportedException("The test host has no nested prompt.");

    public override void NotifyBeginApplication()
    {
    }

    public override void NotifyEndApplication()
    {
    }

    public override void SetShouldExit(int exitCode)
    {
    }
}
