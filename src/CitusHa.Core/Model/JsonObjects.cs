using System.Text.Json;

namespace CitusHa.Core.Model;

/// <summary>Lenient JSON reading for keys other agents wrote: anything but an object reads as absent.</summary>
internal static class JsonObjects
{
    public static JsonElement? Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object ? document.RootElement.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
