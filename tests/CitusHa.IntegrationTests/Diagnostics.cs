namespace CitusHa.IntegrationTests;

internal static class Diagnostics
{
    /// <summary>On a timeout, adds the formation's state and the agents' last log lines to the failure.</summary>
    public static async Task WithDiagnostics(this Task wait, FormationHarness harness, CancellationToken ct)
    {
        try
        {
            await wait;
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n{await harness.DescribeAsync(ct)}", e);
        }
    }
}
