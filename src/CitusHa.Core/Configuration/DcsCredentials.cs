namespace CitusHa.Core.Configuration;

/// <summary>etcd user name and password. <see cref="ToString"/> never shows the password.</summary>
public sealed class DcsCredentials
{
    public DcsCredentials(string username, string password)
    {
        if (string.IsNullOrWhiteSpace(username))
        {
            throw new Errors.CitusHaException(Errors.CitusErrorKind.InvalidArgument, Errors.ErrorIds.InvalidCredential,
                "The etcd user name is empty. Give a user name with the password (-Credential, or etcd3.username in the configuration file).");
        }

        ArgumentNullException.ThrowIfNull(password);
        Username = username;
        Password = password;
    }

    public string Username { get; }

    public string Password { get; }

    public override string ToString() => $"{Username} (password hidden)";
}
