[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

// Formations are heavy (three PostgreSQL servers each) and timing matters: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
