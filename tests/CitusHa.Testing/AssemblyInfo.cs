// The fixtures start Debian's etcd and PostgreSQL packages; they run on Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
