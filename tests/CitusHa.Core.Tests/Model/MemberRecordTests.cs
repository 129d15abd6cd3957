using CitusHa.Core.Model;

namespace CitusHa.Core.Tests.Model;

public sealed class MemberRecordTests
{
    [Fact]
    public void A_Patroni_replica_record_is_read_field_by_field()
    {
        const string json = """
            {"conn_url":"postgres://10.0.0.2:5433/postgres","api_url":"http://10.0.0.2:8008/patroni","state":"running",
             "role":"replica","version":"4.1.4","xlog_location":67395656,"receive_lsn":67395656,"replay_lsn":67395600,
             "replication_state":"streaming","timeline":3,"tags":{"nofailover":true,"failover_priority":2,"zone":"a"},
             "pending_restart":true}
            """;
        var record = MemberRecord.Parse(json);
        record.ConnUrl.ShouldBe("postgres://10.0.0.2:5433/postgres");
        record.ApiUrl.ShouldBe("http://10.0.0.2:8008/patroni");
        record.State.ShouldBe("running");
        record.Role.ShouldBe("replica");
        record.Version.ShouldBe("4.1.4");
        record.XlogLocation.ShouldBe(67395656);
        record.ReceiveLsn.ShouldBe(67395656);
        record.ReplayLsn.ShouldBe(67395600);
        record.ReplicationState.ShouldBe("streaming");
        record.Timeline.ShouldBe(3);
        record.Tags["nofailover"].ShouldBe("true");
        record.Tags["failover_priority"].ShouldBe("2");
        record.Tags["zone"].ShouldBe("a");
        record.PendingRestart.ShouldBeTrue();
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("{\"timeline\":\"x\",\"xlog_location\":{}}")]
    public void A_malformed_record_reads_as_empty_instead_of_failing(string value)
    {
        var record = MemberRecord.Parse(value);
        record.Timeline.ShouldBeNull();
        record.XlogLocation.ShouldBeNull();
    }

    [Fact]
    public void The_oldest_Patroni_format_is_a_connection_url_with_the_api_in_application_name()
    {
        var record = MemberRecord.Parse("postgres://replicator:x@10.0.0.1:5432/postgres?application_name=http%3A%2F%2F10.0.0.1%3A8008%2Fpatroni");
        record.ConnUrl.ShouldBe("postgres://10.0.0.1:5432/postgres", "the password in the URL must not travel further");
        record.ApiUrl.ShouldBe("http://10.0.0.1:8008/patroni");
    }

    [Fact]
    public void A_password_in_a_conn_url_is_removed()
    {
        MemberRecord.Parse("""{"conn_url":"postgres://u:secret@h:5432/db"}""").ConnUrl.ShouldBe("postgres://h:5432/db");
    }

    [Theory]
    [InlineData(0L, "0/0")]
    [InlineData(67395656L, "0/4046048")]
    [InlineData(0x1_0000_0010L, "1/10")]
    public void Lsns_format_and_parse_as_PostgreSQL_writes_them(long value, string text)
    {
        Lsn.Format(value).ShouldBe(text);
        Lsn.TryParse(text, out var parsed).ShouldBeTrue();
        parsed.ShouldBe(value);
    }
}
