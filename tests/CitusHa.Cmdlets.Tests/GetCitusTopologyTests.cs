using System.Collections;
using System.Diagnostics;
using System.Management.Automation;
using CitusHa.Testing;
using CitusHa.Testing.Servers;

namespace CitusHa.Cmdlets.Tests;

/// <summary>Get-CitusTopology through the real engine against a real etcd.</summary>
[Collection(ModuleCollectionDefinition.Name)]
public sealed class GetCitusTopologyTests(ModuleFixture fixture)
{
    private Hashtable Variables(string ns) => new() { ["endpoint"] = fixture.Etcd.Endpoint, ["ns"] = ns };

    /// <summary>
    /// Runs <paramref name="command"/> inside try/catch: a terminating error (what ThrowTerminatingError
    /// raises) is caught and returned; non-terminating errors are not caught and stay in the error stream.
    /// </summary>
    private ErrorRecord? Caught(string command, Hashtable? variables = null)
    {
        var script = $"try {{ {command} | Out-Null; $null }} catch {{ $_ }}";
        var result = variables is null ? fixture.Session.Invoke(script) : fixture.Session.Invoke(script, variables);
        result.Terminating.ShouldBeNull(result.Describe());
        return result.Output.Where(o => o is not null).Select(o => o.BaseObject).OfType<ErrorRecord>().SingleOrDefault();
    }

    [Fact]
    public async Task Members_written_to_etcd_come_back_as_typed_objects()
    {
        var ns = ModuleFixture.UniqueNamespace();
        await fixture.WriteFormationAsync(ns, "demo", TestTimeouts.Default);

        var result = fixture.Session.Invoke("Get-CitusTopology -Name demo -Endpoint $endpoint -EtcdNamespace $ns", Variables(ns));

        result.Terminating.ShouldBeNull(result.Describe());
        result.Errors.ShouldBeEmpty(result.Describe());
        result.Output.ShouldAllBe(o => o.TypeNames[0] == "CitusHa.CitusMember");
        var rows = result.Output.Select(o => (
            Group: (int?)o.Properties["Group"].Value,
            Member: (string)o.Properties["Member"].Value,
            Role: o.Properties["Role"].Value.ToString(),
            Lag: (long?)o.Properties["LagMB"].Value)).ToList();
        rows.ShouldBe(
        [
            (0, "coord-a", "Leader", null),
            (0, "coord-b", "Replica", 5L),
            (1, "work1-a", "Leader", null),
        ]);
        var replica = result.Output[1];
        replica.Properties["Name"].Value.ShouldBe("demo");
        replica.Properties["Host"].Value.ShouldBe("coord-b.demo");
        replica.Properties["State"].Value.ShouldBe("streaming");
        replica.Properties["Timeline"].Value.ShouldBe(2);
        ((Hashtable)replica.Properties["Tags"].Value)["nofailover"].ShouldBe("true");
    }

    [Fact]
    public async Task The_default_view_reads_like_patronictl_list()
    {
        var ns = ModuleFixture.UniqueNamespace();
        await fixture.WriteFormationAsync(ns, "demo", TestTimeouts.Default);

        var result = fixture.Session.Invoke("Get-CitusTopology demo -Endpoint $endpoint -EtcdNamespace $ns | Out-Default", Variables(ns));

        result.Terminating.ShouldBeNull(result.Describe());
        var lines = result.HostText.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList();
        lines.ShouldContain(l => l.Contains("Cluster: demo", StringComparison.Ordinal));
        var header = lines.Single(l => l.Contains("Member", StringComparison.Ordinal));
        header.Split(' ', StringSplitOptions.RemoveEmptyEntries).ShouldBe(["Group", "Member", "Host", "Role", "State", "TL", "Lag", "in", "MB"]);
        lines.ShouldContain(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).SequenceEqual(new[] { "0", "coord-b", "coord-b.demo", "Replica", "streaming", "2", "5" }));
        result.HostText.ShouldNotContain("\u001b[");
    }

    [Fact]
    public async Task Names_bind_from_the_pipeline_and_a_missing_cluster_does_not_stop_the_others()
    {
        var ns = ModuleFixture.UniqueNamespace();
        await fixture.WriteFormationAsync(ns, "one", TestTimeouts.Default);
        await fixture.WriteFormationAsync(ns, "two", TestTimeouts.Default);

        var result = fixture.Session.Invoke("'one', 'nosuch', 'two' | Get-CitusTopology -Endpoint $endpoint -EtcdNamespace $ns", Variables(ns));

        result.Terminating.ShouldBeNull(result.Describe());
        Caught("'nosuch' | Get-CitusTopology -Endpoint $endpoint -EtcdNamespace $ns", Variables(ns)).ShouldBeNull("a missing cluster is a non-terminating error");
        result.Output.Select(o => (string)o.Properties["Name"].Value).Distinct().ShouldBe(["one", "two"]);
        var error = result.Errors.ShouldHaveSingleItem();
        error.FullyQualifiedErrorId.ShouldBe("ClusterNotFound,CitusHa.Commands.GetCitusTopologyCommand");
        error.CategoryInfo.Category.ShouldBe(ErrorCategory.ObjectNotFound);
        error.TargetObject.ShouldBe("nosuch");
        error.Exception.Message.ShouldContain("nosuch");
    }

    [Fact]
    public async Task Name_and_group_bind_by_property_name()
    {
        var ns = ModuleFixture.UniqueNamespace();
        await fixture.WriteFormationAsync(ns, "demo", TestTimeouts.Default);

        var result = fixture.Session.Invoke("[pscustomobject]@{ Name = 'demo'; Group = 1 } | Get-CitusTopology -Endpoint $endpoint -EtcdNamespace $ns", Variables(ns));

        result.Errors.ShouldBeEmpty(result.Describe());
        result.Output.Select(o => (string)o.Properties["Member"].Value).ShouldBe(["work1-a"]);
    }

    [Fact]
    public async Task The_connection_can_come_from_environment_variables_as_in_a_runbook()
    {
        var ns = ModuleFixture.UniqueNamespace();
        await fixture.WriteFormationAsync(ns, "envdemo", TestTimeouts.Default);

        var result = fixture.Session.Invoke("""
            $env:CITUSHA_ETCD_HOSTS = $endpoint; $env:CITUSHA_NAMESPACE = $ns; $env:CITUSHA_SCOPE = 'envdemo'
            try { Get-CitusTopology } finally { 'CITUSHA_ETCD_HOSTS', 'CITUSHA_NAMESPACE', 'CITUSHA_SCOPE' | ForEach-Object { [Environment]::SetEnvironmentVariable($_, $null) } }
            """, Variables(ns));

        result.Errors.ShouldBeEmpty(result.Describe());
        result.Output.Count.ShouldBe(3);
    }

    [Fact]
    public void Verbose_output_names_the_cluster_and_the_endpoint()
    {
        var result = fixture.Session.Invoke("Get-CitusTopology -Endpoint $endpoint -EtcdNamespace $ns -Verbose", Variables(ModuleFixture.UniqueNamespace()));
        result.Terminating.ShouldBeNull(result.Describe());
        result.Verbose.ShouldContain(v => v.Message.Contains(fixture.Etcd.Endpoint, StringComparison.Ordinal));
    }

    [Fact]
    public void An_unreachable_etcd_is_a_terminating_connection_error_that_names_it()
    {
        using var refusing = LoopbackPorts.Refusing();
        var port = refusing.Port;
        var error = Caught($"Get-CitusTopology demo -Endpoint 127.0.0.1:{port} -TimeoutSec 3").ShouldNotBeNull("etcd unreachable must terminate");
        error.FullyQualifiedErrorId.ShouldBe("EtcdUnavailable,CitusHa.Commands.GetCitusTopologyCommand");
        error.CategoryInfo.Category.ShouldBe(ErrorCategory.ConnectionError);
        error.Exception.Message.ShouldContain($"127.0.0.1:{port}");
    }

    [Theory]
    [InlineData("-Endpoint ftp://x:1", "InvalidEndpoint", ErrorCategory.InvalidArgument)]
    [InlineData("-EtcdNamespace '/a//b'", "InvalidNamespace", ErrorCategory.InvalidArgument)]
    [InlineData("-ConfigFile ./definitely-missing.yml", "ConfigFileNotFound", ErrorCategory.ObjectNotFound)]
    public void Bad_input_stops_with_an_error_that_names_the_problem(string parameters, string errorId, ErrorCategory category)
    {
        var error = Caught($"Get-CitusTopology demo {parameters}").ShouldNotBeNull("bad input must terminate");
        error.FullyQualifiedErrorId.ShouldBe($"{errorId},CitusHa.Commands.GetCitusTopologyCommand");
        error.CategoryInfo.Category.ShouldBe(category);
    }

    [Fact]
    public void Out_of_range_parameters_are_refused_by_binding()
    {
        Caught("Get-CitusTopology demo -TimeoutSec 0").ShouldNotBeNull().FullyQualifiedErrorId.ShouldStartWith("ParameterArgumentValidationError");
    }

    [Fact]
    public async Task Stopping_the_pipeline_cancels_a_call_to_a_frozen_etcd_promptly()
    {
        var ct = TestTimeouts.Default;
        await using var frozen = await EtcdServer.StartAsync(cancellationToken: ct);
        await Signals.SendAsync(frozen.Pid, "STOP", ct);
        try
        {
            using var ps = fixture.Session.CreatePowerShell();
            ps.AddScript($"Get-CitusTopology demo -Endpoint {frozen.Endpoint} -TimeoutSec 120");
            var running = ps.BeginInvoke();
            await TestTimeouts.WaitUntilAsync(() => Task.FromResult(ps.InvocationStateInfo.State == PSInvocationState.Running), TimeSpan.FromSeconds(10), "the pipeline to run", ct);
            await Task.Delay(500, ct); // let the call reach etcd, which will never answer

            var stopwatch = Stopwatch.StartNew();
            await Task.Factory.FromAsync(ps.BeginStop(null, null), ps.EndStop);
            stopwatch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
            ps.InvocationStateInfo.State.ShouldBe(PSInvocationState.Stopped);
            Should.Throw<PipelineStoppedException>(() => ps.EndInvoke(running));
        }
        finally
        {
            await Signals.SendAsync(frozen.Pid, "CONT", ct);
        }
    }

    [Fact]
    public async Task A_piped_plain_Patroni_member_with_no_group_binds_and_a_missing_group_is_a_non_terminating_error()
    {
        var ns = ModuleFixture.UniqueNamespace();
        await fixture.WriteFormationAsync(ns, "demo", TestTimeouts.Default);

        var nullGroup = fixture.Session.Invoke("[pscustomobject]@{ Name = 'demo'; Group = $null } | Get-CitusTopology -Endpoint $endpoint -EtcdNamespace $ns", Variables(ns));
        nullGroup.Errors.ShouldBeEmpty(nullGroup.Describe());
        nullGroup.Output.Count.ShouldBe(3, "a null group means every group");

        var missing = fixture.Session.Invoke("Get-CitusTopology demo -Group 1, 7 -Endpoint $endpoint -EtcdNamespace $ns", Variables(ns));
        missing.Output.Select(o => (string)o.Properties["Member"].Value).ShouldBe(["work1-a"]);
        var error = missing.Errors.ShouldHaveSingleItem();
        error.FullyQualifiedErrorId.ShouldBe("GroupNotFound,CitusHa.Commands.GetCitusTopologyCommand");
        error.TargetObject.ShouldBe(7);
    }

    [Fact]
    public async Task A_bad_name_in_the_pipeline_is_reported_and_the_next_name_still_runs()
    {
        var ns = ModuleFixture.UniqueNamespace();
        await fixture.WriteFormationAsync(ns, "good", TestTimeouts.Default);

        var result = fixture.Session.Invoke("'bad/name', 'good' | Get-CitusTopology -Endpoint $endpoint -EtcdNamespace $ns", Variables(ns));

        result.Output.Count.ShouldBe(3);
        result.Errors.ShouldHaveSingleItem().FullyQualifiedErrorId.ShouldBe("InvalidClusterName,CitusHa.Commands.GetCitusTopologyCommand");
    }

    [Fact]
    public void Error_records_carry_an_exception_type_of_the_module_not_of_the_isolated_engine()
    {
        using var refusing = LoopbackPorts.Refusing();
        var error = Caught($"Get-CitusTopology demo -Endpoint {refusing.Endpoint}").ShouldNotBeNull();
        var exception = error.Exception;
        exception.GetType().FullName.ShouldBe("CitusHa.CitusHaErrorException");
        exception.InnerException.ShouldBeNull("no gRPC or Npgsql exception may travel into $Error");
        System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(exception.GetType().Assembly).ShouldBe(System.Runtime.Loader.AssemblyLoadContext.Default);
        exception.GetType().GetProperty("ErrorId")!.GetValue(exception).ShouldBe("EtcdUnavailable");
    }

    [Fact]
    public async Task Credentials_from_a_PSCredential_reach_a_secured_etcd_and_wrong_ones_stop_with_an_authentication_error()
    {
        var ct = TestTimeouts.Default;
        await using var secured = await EtcdServer.StartAsync(cancellationToken: ct);
        using (var admin = secured.CreateClient())
        {
            await admin.PutAsync("/service/locked/0/members/m1", """{"conn_url":"postgres://m1:5432/postgres","state":"running","role":"primary"}""", cancellationToken: ct);
            await admin.UserAddAsync(new Etcdserverpb.AuthUserAddRequest { Name = "root", Password = "right-password" }, cancellationToken: ct);
            await admin.UserGrantRoleAsync(new Etcdserverpb.AuthUserGrantRoleRequest { User = "root", Role = "root" }, cancellationToken: ct);
            await admin.AuthEnableAsync(new Etcdserverpb.AuthEnableRequest(), cancellationToken: ct);
        }

        var variables = new Hashtable { ["endpoint"] = secured.Endpoint };
        var right = fixture.Session.Invoke("""
            $credential = [pscredential]::new('root', (ConvertTo-SecureString 'right-password' -AsPlainText -Force))
            Get-CitusTopology locked -Endpoint $endpoint -Credential $credential
            """, variables);
        if (right.Errors.Any(e => e.FullyQualifiedErrorId.StartsWith("CommandNotFoundException", StringComparison.Ordinal)))
        {
            // ConvertTo-SecureString lives in Microsoft.PowerShell.Security, absent from this bare engine: build the secret by hand.
            right = fixture.Session.Invoke("""
                $secret = [System.Security.SecureString]::new(); 'right-password'.ToCharArray() | ForEach-Object { $secret.AppendChar($_) }
                $credential = [pscredential]::new('root', $secret)
                Get-CitusTopology locked -Endpoint $endpoint -Credential $credential
                """, variables);
        }

        right.Errors.ShouldBeEmpty(right.Describe());
        right.Output.ShouldHaveSingleItem().Properties["Member"].Value.ShouldBe("m1");

        var wrong = fixture.Session.Invoke("""
            $secret = [System.Security.SecureString]::new(); 'wrong-password'.ToCharArray() | ForEach-Object { $secret.AppendChar($_) }
            try { Get-CitusTopology locked -Endpoint $endpoint -Credential ([pscredential]::new('root', $secret)) | Out-Null; $null } catch { $_ }
            """, variables);
        var error = wrong.Output.Select(o => o.BaseObject).OfType<ErrorRecord>().ShouldHaveSingleItem();
        error.FullyQualifiedErrorId.ShouldBe("EtcdAuthenticationFailed,CitusHa.Commands.GetCitusTopologyCommand");
        error.CategoryInfo.Category.ShouldBe(ErrorCategory.AuthenticationError);
        error.Exception.Message.ShouldNotContain("wrong-password");
    }
}
