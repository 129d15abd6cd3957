using System.Diagnostics;
using System.Globalization;
using CitusHa.Core.Configuration;
using CitusHa.Core.Errors;

namespace CitusHa.Agent.Watchdog;

/// <summary>
/// Patroni's watchdog, without a kernel device: a small separate process (<c>watchdog.sh</c>) that
/// kills this member's postmaster when the agent stops feeding it, so a frozen or dead agent cannot
/// leave a writable primary behind after its lease has run out and another member is promoted.
/// The agent arms it with the time its lease has left minus the safety margin, on every cycle in
/// which PostgreSQL is or may become a primary, and disarms it otherwise. It fences the postmaster it
/// was armed with and whatever postmaster runs in the data directory.
/// </summary>
internal sealed class ProcessWatchdog(AgentSettings settings, ILogger logger) : IAsyncDisposable
{
    private const string ScriptName = "watchdog.sh";

    // The loop and a lease renewal during a promotion both feed it: one line at a time.
    private readonly SemaphoreSlim sending = new(1, 1);
    private Process? process;
    private bool armed;
    private bool warned;

    /// <summary>Starts the watchdog process; with mode <c>required</c> a failure stops the agent.</summary>
    public void Start()
    {
        if (settings.WatchdogMode == WatchdogMode.Off)
        {
            return;
        }

        try
        {
            EnsureProcess();
        }
        catch (Exception e) when (e is IOException or System.ComponentModel.Win32Exception or UnauthorizedAccessException)
        {
            if (settings.WatchdogMode == WatchdogMode.Required)
            {
                throw new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.CommandFailed,
                    $"watchdog.mode is 'required' but the watchdog cannot start ({e.Message}). Install bash, or set watchdog.mode to automatic or off.", e);
            }

            Warn(e.Message);
        }
    }

    /// <summary>
    /// Fence this member's postmaster (<paramref name="postmasterPid"/> when known, and the one in the data
    /// directory) unless fed again within <paramref name="within"/>.
    /// </summary>
    public async Task ArmAsync(TimeSpan within, int? postmasterPid)
    {
        var milliseconds = Math.Max(0, (long)within.TotalMilliseconds);
        var pid = postmasterPid?.ToString(CultureInfo.InvariantCulture) ?? "-";
        var wasArmed = armed;
        armed = await SendAsync($"arm {milliseconds.ToString(CultureInfo.InvariantCulture)} {pid}").ConfigureAwait(false);
        if (armed && !wasArmed)
        {
            // Transitions only (not every feed): what an operator needs to tell a fence from a disarmed watchdog.
            WatchdogLog.Armed(logger, settings.Name, pid, milliseconds);
        }
    }

    public async Task DisarmAsync()
    {
        if (armed)
        {
            armed = !await SendAsync("disarm").ConfigureAwait(false);
            if (!armed)
            {
                WatchdogLog.Disarmed(logger, settings.Name);
            }
        }
    }

    private async Task<bool> SendAsync(string line)
    {
        if (settings.WatchdogMode == WatchdogMode.Off)
        {
            return false;
        }

        await sending.WaitAsync().ConfigureAwait(false);
        try
        {
            var writer = EnsureProcess().StandardInput;
            await writer.WriteLineAsync(line).ConfigureAwait(false);
            await writer.FlushAsync().ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or System.ComponentModel.Win32Exception or UnauthorizedAccessException)
        {
            Warn(e.Message);
            process = null;
            return false;
        }
        finally
        {
            sending.Release();
        }
    }

    private Process EnsureProcess()
    {
        if (process is { HasExited: false } running)
        {
            return running;
        }

        process?.Dispose();
        var script = Path.Combine(settings.StateDirectory, ScriptName);
        Directory.CreateDirectory(settings.StateDirectory);
        using (var resource = typeof(ProcessWatchdog).Assembly.GetManifestResourceStream(ScriptName) ?? throw new IOException("the watchdog script is missing from the agent"))
        using (var file = File.Create(script))
        {
            resource.CopyTo(file);
        }

        // Its output goes through our log, never our own stdout: a watchdog that outlives a killed agent
        // must not hold the agent's output open (whoever reads it would wait for the watchdog's deadline).
        var info = new ProcessStartInfo("bash", [script, settings.Postgres.DataDirectory]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        process = Process.Start(info) ?? throw new IOException("bash did not start");
        process.ErrorDataReceived += (_, line) => Said(line.Data);
        process.OutputDataReceived += (_, line) => Said(line.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        WatchdogLog.Started(logger, settings.Name, process.Id);
        return process;
    }

    private void Said(string? line)
    {
        if (!string.IsNullOrWhiteSpace(line))
        {
            WatchdogLog.Said(logger, settings.Name, line);
        }
    }

    private void Warn(string message)
    {
        if (!warned)
        {
            WatchdogLog.Unavailable(logger, settings.Name, message);
            warned = true;
        }
    }

    /// <summary>A graceful stop disarms first, so closing the pipe never fences.</summary>
    public async ValueTask DisposeAsync()
    {
        if (process is { } p)
        {
            try
            {
                if (!p.HasExited)
                {
                    await p.StandardInput.WriteLineAsync("disarm").ConfigureAwait(false);
                    p.StandardInput.Close();
                    using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    await p.WaitForExitAsync(wait.Token).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException)
            {
                // Already gone, or stuck: it exits by itself at its deadline at the latest.
            }

            p.Dispose();
        }
    }
}

internal static partial class WatchdogLog
{
    [LoggerMessage(1101, LogLevel.Information, "{Member}: watchdog running as process {Pid}", EventName = "WatchdogStarted")]
    public static partial void Started(ILogger logger, string member, int pid);

    [LoggerMessage(1103, LogLevel.Warning, "{Member}: {Line}", EventName = "WatchdogSaid")]
    public static partial void Said(ILogger logger, string member, string line);

    [LoggerMessage(1104, LogLevel.Information, "{Member}: watchdog armed: it fences postmaster {Pid} and any postmaster of the data directory unless fed again within {Milliseconds} ms", EventName = "WatchdogArmed")]
    public static partial void Armed(ILogger logger, string member, string pid, long milliseconds);

    [LoggerMessage(1105, LogLevel.Information, "{Member}: watchdog disarmed (PostgreSQL is not and does not become a primary, or maintenance mode)", EventName = "WatchdogDisarmed")]
    public static partial void Disarmed(ILogger logger, string member);

    [LoggerMessage(1102, LogLevel.Warning, "{Member}: watchdog unavailable ({Message}); a frozen agent's primary is then fenced only when the agent resumes", EventName = "WatchdogUnavailable")]
    public static partial void Unavailable(ILogger logger, string member, string message);
}
