namespace CitusHa.IntegrationTests;

/// <summary>The built agent, copied to agent/ beside the tests (see the project file for why not referenced).</summary>
internal static class AgentBinary
{
    public static string Path { get; } = System.IO.Path.Combine(AppContext.BaseDirectory, "agent", "citusha.dll");
}
