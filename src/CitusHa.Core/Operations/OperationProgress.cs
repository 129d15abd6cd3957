namespace CitusHa.Core.Operations;

/// <summary>
/// One step of a long action, for a progress bar and a log line: what runs (<see cref="Activity"/>),
/// where it stands now (<see cref="Status"/>), and roughly how far along it is (0-100, or -1 unknown).
/// </summary>
public sealed record OperationProgress(string Activity, string Status, int PercentComplete = -1);
