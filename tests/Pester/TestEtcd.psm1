# A real etcd for the Pester suite: free loopback ports, its own data directory, stopped by PID.

function Get-FreeTcpPort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function Start-TestEtcd {
    $etcd = if ($env:CITUSHA_ETCD_BIN) { $env:CITUSHA_ETCD_BIN } else { (Get-Command etcd -CommandType Application -ErrorAction Stop | Select-Object -First 1).Source }
    $client = Get-FreeTcpPort
    $peer = Get-FreeTcpPort
    $data = Join-Path ([System.IO.Path]::GetTempPath()) "citusha-pester-etcd-$client-$([guid]::NewGuid().ToString('N'))"
    $null = New-Item -ItemType Directory -Path $data
    $arguments = @(
        '--name', 'pester', '--data-dir', $data, '--log-level', 'warn',
        '--listen-client-urls', "http://127.0.0.1:$client", '--advertise-client-urls', "http://127.0.0.1:$client",
        '--listen-peer-urls', "http://127.0.0.1:$peer", '--initial-advertise-peer-urls', "http://127.0.0.1:$peer",
        '--initial-cluster', "pester=http://127.0.0.1:$peer")
    $process = Start-Process -FilePath $etcd -ArgumentList $arguments -PassThru `
        -RedirectStandardOutput (Join-Path $data 'out.log') -RedirectStandardError (Join-Path $data 'err.log')
    $endpoint = "http://127.0.0.1:$client"
    $deadline = [DateTime]::UtcNow.AddSeconds(30)
    while ($true) {
        try {
            if ((Invoke-RestMethod -Uri "$endpoint/health" -TimeoutSec 2).health -eq 'true') { break }
        } catch {
            if ($process.HasExited) { throw "etcd exited while starting: $(Get-Content (Join-Path $data 'err.log') -Raw)" }
            if ([DateTime]::UtcNow -gt $deadline) { throw "etcd on $endpoint did not become healthy within 30 s" }
            Start-Sleep -Milliseconds 100
        }
    }
    [pscustomobject]@{ Process = $process; Endpoint = $endpoint; DataDirectory = $data }
}

function Stop-TestEtcd {
    param([Parameter(Mandatory)] $Etcd)
    if (-not $Etcd.Process.HasExited) {
        Stop-Process -Id $Etcd.Process.Id -Force
        $Etcd.Process.WaitForExit(10000) | Out-Null
    }
    Remove-Item -Recurse -Force $Etcd.DataDirectory -ErrorAction SilentlyContinue
}

function Set-TestKey {
    param([Parameter(Mandatory)] $Etcd, [Parameter(Mandatory)] [string] $Key, [Parameter(Mandatory)] [string] $Value)
    $env:ETCDCTL_API = '3'
    $null = $Value | & etcdctl --endpoints=$($Etcd.Endpoint) put $Key
    if ($LASTEXITCODE -ne 0) { throw "etcdctl put $Key failed" }
}

function Publish-TestFormation {
    param([Parameter(Mandatory)] $Etcd, [Parameter(Mandatory)] [string] $Namespace, [Parameter(Mandatory)] [string] $Scope)
    Set-TestKey $Etcd "$Namespace/$Scope/0/leader" 'coord-a'
    Set-TestKey $Etcd "$Namespace/$Scope/0/status" '{"optime":8388608}'
    Set-TestKey $Etcd "$Namespace/$Scope/0/members/coord-a" '{"conn_url":"postgres://coord-a.demo:5432/postgres","state":"running","role":"primary","timeline":2,"xlog_location":8388608}'
    Set-TestKey $Etcd "$Namespace/$Scope/0/members/coord-b" '{"conn_url":"postgres://coord-b.demo:5432/postgres","state":"running","role":"replica","replication_state":"streaming","timeline":2,"xlog_location":3145728,"tags":{"nofailover":true}}'
    Set-TestKey $Etcd "$Namespace/$Scope/1/leader" 'work1-a'
    Set-TestKey $Etcd "$Namespace/$Scope/1/members/work1-a" '{"conn_url":"postgres://work1-a.demo:5432/postgres","state":"running","role":"primary","timeline":1}'
}

Export-ModuleMember -Function Get-FreeTcpPort, Start-TestEtcd, Stop-TestEtcd, Set-TestKey, Publish-TestFormation
