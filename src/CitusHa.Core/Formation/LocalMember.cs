namespace CitusHa.Core.Formation;

/// <summary>One member of a local formation: where its API and PostgreSQL listen, where its files are.</summary>
public sealed record LocalMember(string Name, int Group, int ApiPort, int PostgresPort, string Directory, string ApiScheme = "http")
{
    public string ApiUrl => $"{ApiScheme}://127.0.0.1:{ApiPort}";

    public string ConfigFile => Path.Combine(Directory, "citusha.yml");

    public string DataDirectory => Path.Combine(Directory, "data");

    public string LogFile => Path.Combine(Directory, "agent.log");
}
