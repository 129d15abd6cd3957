using System.Globalization;

namespace CitusHa.Core.Model;

/// <summary>PostgreSQL WAL positions: Patroni stores them as absolute byte numbers, people read X/Y.</summary>
public static class Lsn
{
    public static string Format(long lsn) =>
        string.Create(CultureInfo.InvariantCulture, $"{(ulong)lsn >> 32:X}/{(ulong)lsn & 0xFFFFFFFF:X}");

    public static bool TryParse(string? text, out long lsn)
    {
        lsn = 0;
        var parts = text?.Split('/');
        if (parts is not { Length: 2 }
            || !uint.TryParse(parts[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var high)
            || !uint.TryParse(parts[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var low))
        {
            return false;
        }

        lsn = (long)(((ulong)high << 32) | low);
        return true;
    }
}
