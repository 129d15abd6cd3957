using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace CitusHa.Testing.Servers;

/// <summary>
/// A server process a fixture started: output kept (for failure messages), stopped by its own PID,
/// never by name. Processes still alive when the test host exits are killed then too, so a failing
/// or crashing test leaves nothing listening.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<int, Process> Live = new();
    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly object outputGate = new();

    static ServerProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var p in Live.Values)
            {
                TryKill(p);
            }
        };
    }

    private ServerProcess(Process process, string description)
    {
        this.process = process;
        Description = description;
    }

    public string Description { get; }

    public int Pid => process.Id;

    public bool HasExited => process.HasExited;

    public int? ExitCode => process.HasExited ? process.ExitCode : null;

    public static ServerProcess Start(string fileName, IEnumerable<string> arguments, string description, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var server = new ServerProcess(process, description);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new SetupException($"Cannot start {description} ('{fileName}'): {e.Message}.", e);
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Live[process.Id] = process;
        RecordPid(process.Id);
        return server;
    }

    /// <summary>
    /// When the test host is killed (hang timeout) its ProcessExit handler never runs: build.sh
    /// passes a folder in CITUSHA_TEST_PID_DIR and, when the run ends, stops every PID listed there
    /// that still runs one of our servers.
    /// </summary>
    private static void RecordPid(int pid)
    {
        if (Environment.GetEnvironmentVariable("CITUSHA_TEST_PID_DIR") is { Length: > 0 } directory && Directory.Exists(directory))
        {
            File.WriteAllText(Path.Combine(directory, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)), string.Empty);
        }
    }

    /// <summary>The last lines the process printed, for failure messages.</summary>
    public string OutputTail(int lines = 30)
    {
        lock (outputGate)
        {
            var all = output.ToString().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>SIGKILL to this PID (and its children), then wait for it.</summary>
    public async Task KillAsync()
    {
        TryKill(process);
        await WaitForExitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        Live.TryRemove(process.Id, out _);
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            await KillAsync().ConfigureAwait(false);
        }

        Live.TryRemove(process.Id, out _);
        process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (outputGate)
        {
            output.AppendLine(line);
            if (output.Length > 256 * 1024)
            {
                output.Remove(0, output.Length - (128 * 1024));
            }
        }
    }

    private static void TryKill(Process p)
    {
        try
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
