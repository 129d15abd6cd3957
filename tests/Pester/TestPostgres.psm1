# A real PostgreSQL for the Pester suite: a fresh cluster on a free loopback port, run as the postgres
# user (PostgreSQL refuses root), with a password for postgres and the Citus stand-in catalog in the
# citus database (tests/CitusHa.Testing/Citus/citus-standin.sql). Stopped by its data directory's
# postmaster PID (pg_ctl stop), never by name.

function Find-PostgresBin {
    $bin = if ($env:CITUSHA_PG_BIN) { $env:CITUSHA_PG_BIN } else {
        Get-ChildItem '/usr/lib/postgresql/*/bin/initdb' -ErrorAction SilentlyContinue | Sort-Object FullName -Descending | Select-Object -First 1 | ForEach-Object DirectoryName
    }
    if (-not $bin) { throw 'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run scripts/install-deps.sh' }
    $bin
}

function Invoke-AsPostgres {
    param([Parameter(Mandatory)] [string] $Command, [string[]] $Arguments = @())
    $output = if ((& id -u) -eq '0') { & runuser -u postgres -- $Command @Arguments 2>&1 } else { & $Command @Arguments 2>&1 }
    if ($LASTEXITCODE -ne 0) { throw "$(Split-Path -Leaf $Command) failed: $($output -join "`n")" }
}

function Start-TestPostgres {
    param([Parameter(Mandatory)] [string] $StandInSql)
    $bin = Find-PostgresBin
    $port = Get-FreeTcpPort
    $root = Join-Path ([System.IO.Path]::GetTempPath()) "citusha-pester-pg-$port-$([guid]::NewGuid().ToString('N'))"
    $data = Join-Path $root 'data'
    $null = New-Item -ItemType Directory -Path $root
    $password = [guid]::NewGuid().ToString('N')
    $pwfile = Join-Path $root 'pwfile'
    Set-Content -Path $pwfile -Value $password -NoNewline
    if ((& id -u) -eq '0') { & chown -R postgres $root }
    Invoke-AsPostgres "$bin/initdb" @('-D', $data, '-U', 'postgres', '--pwfile', $pwfile, '-A', 'scram-sha-256', '--no-sync')
    [System.IO.File]::Delete($pwfile)
    Invoke-AsPostgres "$bin/pg_ctl" @('-D', $data, '-l', (Join-Path $root 'log'), '-w', '-t', '60', '-o', "-p $port -c listen_addresses=127.0.0.1 -k $root", 'start')
    $env:PGPASSWORD = $password
    try {
        & "$bin/psql" -h 127.0.0.1 -p $port -U postgres -d postgres -qAt -c 'CREATE DATABASE citus' | Out-Null
        & "$bin/psql" -h 127.0.0.1 -p $port -U postgres -d citus -q -v ON_ERROR_STOP=1 -f $StandInSql | Out-Null
        if ($LASTEXITCODE -ne 0) { throw 'installing the Citus stand-in failed' }
    } finally {
        Remove-Item Env:PGPASSWORD
    }
    [pscustomobject]@{
        Port = $port; Bin = $bin; Root = $root; DataDirectory = $data
        Credential = [pscredential]::new('postgres', (ConvertTo-SecureString $password -AsPlainText -Force))
    }
}

function Invoke-TestSql {
    param([Parameter(Mandatory)] $Postgres, [Parameter(Mandatory)] [string] $Sql)
    $env:PGPASSWORD = $Postgres.Credential.GetNetworkCredential().Password
    try {
        $result = & "$($Postgres.Bin)/psql" -h 127.0.0.1 -p $Postgres.Port -U postgres -d citus -qAt -v ON_ERROR_STOP=1 -c $Sql
        if ($LASTEXITCODE -ne 0) { throw "psql failed: $Sql" }
        $result
    } finally {
        Remove-Item Env:PGPASSWORD
    }
}

function Stop-TestPostgres {
    param([Parameter(Mandatory)] $Postgres)
    try { Invoke-AsPostgres "$($Postgres.Bin)/pg_ctl" @('-D', $Postgres.DataDirectory, '-m', 'immediate', '-w', 'stop') } catch { Write-Warning $_ }
    Remove-Item -Recurse -Force $Postgres.Root -ErrorAction SilentlyContinue
}

Export-ModuleMember -Function Start-TestPostgres, Stop-TestPostgres, Invoke-TestSql
