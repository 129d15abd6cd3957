# The in-test Kubernetes API server of the xunit suites (tests/CitusHa.Testing/Kubernetes), compiled
# from its source for the Pester suite: there is no Kubernetes here, and the Pester stories must send
# the same requests the in-process tests check.

$testing = Join-Path $PSScriptRoot '../CitusHa.Testing'
if (-not ('CitusHa.Testing.Kubernetes.FakeKubernetesApi' -as [type])) {
    Add-Type -Path (Join-Path $testing 'Kubernetes/FakeKubernetesApi.cs')
}

function Start-TestKubernetesApi {
    [CitusHa.Testing.Kubernetes.FakeKubernetesApi]::new('test-token')
}

function Stop-TestKubernetesApi([Parameter(Mandatory)] $Api) {
    $Api.DisposeAsync().AsTask().GetAwaiter().GetResult()
}

Export-ModuleMember -Function Start-TestKubernetesApi, Stop-TestKubernetesApi
