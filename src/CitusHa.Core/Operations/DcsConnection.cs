using CitusHa.Core.Adapters.Etcd;
using CitusHa.Core.Configuration;
using CitusHa.Core.Dcs;

namespace CitusHa.Core.Operations;

/// <summary>The one way callers outside Core obtain a store, so they never see the etcd SDK.</summary>
public static class DcsConnection
{
    public static IDcsStore Open(DcsSettings settings) => EtcdDcsStore.Open(settings);
}
