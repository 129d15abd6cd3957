namespace CitusHa.Core.Configuration;

/// <summary>etcd user name and password. <see cref="ToString"/> never shows the password.</summary>
public sealed class DcsCredentials
{
    public DcsCredentials(string username, string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(username);
        ArgumentNullException.ThrowIfNull(password);
        Username = username;
        Password = password;
    }

    public string Username { get; }

    public string Password { get; }

    public override string ToString() => $"{Username} (password hidden)";
}
