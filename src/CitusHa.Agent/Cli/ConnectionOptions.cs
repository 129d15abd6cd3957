using System.CommandLine;
using CitusHa.Core.Configuration;

namespace CitusHa.Agent.Cli;

/// <summary>The etcd connection options shared by every command that reads or writes etcd.</summary>
internal sealed class ConnectionOptions
{
    public Option<string?> ConfigFile { get; } = new("--config-file", "-c") { Description = "Agent or Patroni YAML configuration to take scope, namespace and etcd3 settings from." };

    public Option<string[]> Endpoint { get; } = new("--dcs-url", "--endpoint", "-d") { Description = "etcd endpoints, host:port or http(s)://host:port (default http://127.0.0.1:2379).", AllowMultipleArgumentsPerToken = true };

    public Option<string?> Namespace { get; } = new("--namespace") { Description = "etcd key namespace (default /service)." };

    public Option<int?> TimeoutSec { get; } = new("--timeout") { Description = "Seconds one etcd request may take (default 10)." };

    public void AddTo(Command command)
    {
        command.Options.Add(ConfigFile);
        command.Options.Add(Endpoint);
        command.Options.Add(Namespace);
        command.Options.Add(TimeoutSec);
    }

    /// <summary>Credentials come from the configuration file or CITUSHA_ETCD_USERNAME/PASSWORD, never from the command line.</summary>
    public DcsSettings Resolve(ParseResult result, string? scope)
    {
        var timeout = result.GetValue(TimeoutSec);
        var source = new DcsSettingsSource(
            result.GetValue(Endpoint) is { Length: > 0 } endpoints ? endpoints : null,
            result.GetValue(Namespace),
            scope,
            null,
            timeout is { } t ? TimeSpan.FromSeconds(t) : null);
        return DcsSettingsResolver.Resolve(source, result.GetValue(ConfigFile), Environment.GetEnvironmentVariable);
    }
}
