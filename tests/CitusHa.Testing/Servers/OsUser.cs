using System.Diagnostics;

namespace CitusHa.Testing.Servers;

/// <summary>
/// PostgreSQL refuses to run as root. When the tests run as root, server commands are run as an
/// unprivileged user (default 'postgres') through util-linux's setpriv, which execs in place, so the
/// PID we hold is the server's own.
/// </summary>
public static class OsUser
{
    public static bool IsRoot => Environment.IsPrivilegedProcess;

    /// <summary>True when /etc/passwd (or <paramref name="passwdFile"/>) has <paramref name="user"/>.</summary>
    public static bool Exists(string user, string passwdFile = "/etc/passwd") =>
        File.Exists(passwdFile) && File.ReadLines(passwdFile).Any(l => l.StartsWith(user + ":", StringComparison.Ordinal));

    /// <summary>Checks that commands can run as <paramref name="user"/> when we are root; names the fix otherwise.</summary>
    public static void EnsureUsable(string user, string passwdFile = "/etc/passwd")
    {
        if (!IsRoot)
        {
            return;
        }

        if (!Exists(user, passwdFile))
        {
            throw new SetupException(
                $"The tests run as root and PostgreSQL refuses to run as root, but there is no '{user}' user to run it as. Create it: 'apt-get install postgresql-15' does (scripts/install-test-deps.sh), or 'useradd --system --home /var/lib/postgresql --shell /bin/bash {user}'.");
        }

        if (ToolLocator.FindOnPath("setpriv") is null)
        {
            throw new SetupException("The tests run as root and need util-linux's 'setpriv' to start PostgreSQL as an unprivileged user: apt-get install util-linux.");
        }
    }

    /// <summary>The command line that runs <paramref name="fileName"/> as <paramref name="user"/> (unchanged when not root).</summary>
    public static (string FileName, List<string> Arguments) Wrap(string user, string fileName, IEnumerable<string> arguments)
    {
        if (!IsRoot)
        {
            return (fileName, arguments.ToList());
        }

        var wrapped = new List<string> { $"--reuid={user}", $"--regid={user}", "--init-groups", "--", fileName };
        wrapped.AddRange(arguments);
        return (ToolLocator.FindOnPath("setpriv") ?? "setpriv", wrapped);
    }

    /// <summary>Makes <paramref name="directory"/> owned by <paramref name="user"/> (when root).</summary>
    public static async Task ChownAsync(string user, string directory, CancellationToken cancellationToken)
    {
        if (!IsRoot)
        {
            return;
        }

        var result = await RunAsync("chown", ["-R", $"{user}:", directory], cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new SetupException($"chown -R {user}: {directory} failed: {result.Output}");
        }
    }

    /// <summary>Runs a short command to completion, output captured; the token kills it.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string fileName, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new SetupException($"Cannot start {fileName}.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, (await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false)));
    }
}
