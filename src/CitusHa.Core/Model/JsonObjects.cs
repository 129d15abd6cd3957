using System.Text.Json;

namespace CitusHa.Core.Model;

/// <summary>Lenient JSON reading for keys other agents wrote: anything but an object reads as absent.</summary>
internal static class JsonObjects
{
    public static JsonElement? Parse(string? json) => ParseAny(json) is { ValueKind: JsonValueKind.Object } element ? element : null;

    /// <summary>Any JSON value, or null when the text is empty or not JSON.</summary>
    public static JsonElement? ParseAny(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
