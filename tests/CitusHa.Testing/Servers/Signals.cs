namespace CitusHa.Testing.Servers;

/// <summary>Sends a signal to one process by its PID (never by name), e.g. STOP/CONT to freeze and resume it.</summary>
public static class Signals
{
    public static async Task SendAsync(int pid, string signal, CancellationToken cancellationToken)
    {
        var result = await OsUser.RunAsync("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {pid} failed: {result.Output}");
        }
    }
}
