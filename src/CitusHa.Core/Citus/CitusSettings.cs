namespace CitusHa.Core.Citus;

/// <summary>
/// The <c>citus:</c> section: the formation's one Citus database, and whether to use the Citus library
/// when it is installed (<see cref="UseLibrary"/> false runs plain PostgreSQL HA even where Citus is
/// installed: the stand-in test lane does that on machines that have it).
/// </summary>
public sealed record CitusSettings(string Database, bool UseLibrary = true)
{
    public const string DefaultDatabase = "citus";
}
