using System.Diagnostics;
using System.Text;
using CitusHa.Core.Errors;

namespace CitusHa.Core.Adapters.Processes;

/// <summary>
/// Runs PostgreSQL's tools (initdb, pg_ctl, pg_basebackup, pg_rewind, pg_controldata) with an
/// explicit timeout and the caller's token; a cancelled or timed-out command is killed, never left
/// running. When <see cref="RunAsUser"/> is set and we are root, commands run as that user through
/// util-linux's setpriv (PostgreSQL refuses to run as root).
/// </summary>
public sealed class CommandRunner
{
    public CommandRunner(string? runAsUser = null)
    {
        RunAsUser = Environment.IsPrivilegedProcess ? runAsUser : null;
    }

    /// <summary>The unprivileged user commands run as, or null to run as ourselves.</summary>
    public string? RunAsUser { get; }

    /// <summary>The file name and arguments that start <paramref name="fileName"/>, wrapped for <see cref="RunAsUser"/>.</summary>
    public ProcessStartInfo StartInfo(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (RunAsUser is { } user)
        {
            info.FileName = "setpriv";
            foreach (var a in new[] { $"--reuid={user}", $"--regid={user}", "--init-groups", "--", fileName })
            {
                info.ArgumentList.Add(a);
            }

            // setpriv keeps our environment: with root's HOME, libpq inside the server (Citus'
            // node-to-node connections) looks for ~/.postgresql files under /root and fails.
            if (HomeOf(user) is { } home)
            {
                info.Environment["HOME"] = home;
            }

            info.Environment["USER"] = user;
            info.Environment["LOGNAME"] = user;
        }
        else
        {
            info.FileName = fileName;
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        return info;
    }

    /// <summary>The user's home directory from /etc/passwd, or null.</summary>
    private static string? HomeOf(string user)
    {
        try
        {
            return File.ReadLines("/etc/passwd").Select(l => l.Split(':')).FirstOrDefault(f => f.Length >= 6 && f[0] == user)?[5];
        }
        catch (IOException)
        {
            return null;
        }
    }

    public async Task<CommandResult> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = StartInfo(fileName, arguments, environment);
        using var process = new Process { StartInfo = info };
        var output = new StringBuilder();
        var gate = new object();
        void Append(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (gate)
            {
                output.AppendLine(line);
            }
        }

        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.CommandFailed, $"Cannot run {Path.GetFileName(fileName)} ({e.Message}). Check that PostgreSQL's binaries are installed and the bin directory is configured.", fileName, e);
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It finished meanwhile.
            }

            cancellationToken.ThrowIfCancellationRequested();
            throw new CitusHaException(CitusErrorKind.Timeout, ErrorIds.CommandTimedOut,
                $"{Path.GetFileName(fileName)} did not finish within {timeout.TotalSeconds:0} s and was stopped.", fileName);
        }

        process.WaitForExit(); // drains the output readers
        lock (gate)
        {
            return new CommandResult(process.ExitCode, output.ToString());
        }
    }
}
