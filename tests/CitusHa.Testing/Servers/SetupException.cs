namespace CitusHa.Testing.Servers;

/// <summary>The test machine is not set up for a fixture; the message names the problem and the fix.</summary>
public sealed class SetupException : Exception
{
    public SetupException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
