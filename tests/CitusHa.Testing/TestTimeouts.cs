namespace CitusHa.Testing;

/// <summary>
/// Every async test runs under one of these tokens (xunit 2 has no ambient test token), so a hang
/// becomes a failure with a message instead of a stuck CI run.
/// </summary>
public static class TestTimeouts
{
    public static readonly TimeSpan DefaultSpan = TimeSpan.FromSeconds(60);

    public static CancellationToken Default => new CancellationTokenSource(DefaultSpan).Token;

    public static CancellationToken After(TimeSpan span) => new CancellationTokenSource(span).Token;

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes; never a bare sleep.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan deadline, string what, CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        linked.CancelAfter(deadline);
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await condition().ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException and not Servers.SetupException)
            {
                last = e;
            }

            try
            {
                await Task.Delay(50, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Timed out after {deadline.TotalSeconds:0.#} s waiting for {what}." + (last is null ? string.Empty : $" Last error: {last.Message}"), last);
            }
        }
    }
}
