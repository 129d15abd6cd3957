using CitusHa.Core.Dcs;

namespace CitusHa.Core.Tests.Dcs;

/// <summary>The DCS contract on the in-memory store the cycle tests use.</summary>
public sealed class InMemoryDcsStoreTests : DcsStoreContract
{
    protected override IDcsStore CreateStore() => new InMemoryDcsStore();
}
