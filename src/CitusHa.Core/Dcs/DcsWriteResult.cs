namespace CitusHa.Core.Dcs;

/// <summary>
/// The outcome of a conditional write: a failed comparison is an expected result, not an error
/// (someone else holds the key, or it changed since it was read).
/// </summary>
public readonly record struct DcsWriteResult(bool Succeeded, long Revision);
