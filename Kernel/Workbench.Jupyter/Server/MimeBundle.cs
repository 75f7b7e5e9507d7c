using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Workbench.Jupyter.Server;

/// <summary>Turns the engine's MIME → text dictionaries into Jupyter MIME bundles.</summary>
public static class MimeBundle
{
    /// <summary>
    /// JSON MIME types (<c>application/json</c>, <c>*+json</c>) must be JSON values in a bundle, not strings,
    /// so their text is parsed; everything else stays text. Unparseable JSON is sent as text rather than lost.
    /// </summary>
    public static JObject From(IReadOnlyDictionary<string, string> formattedValues)
    {
        var bundle = new JObject();
        foreach (var (mimeType, text) in formattedValues)
        {
            bundle[mimeType] = IsJson(mimeType) ? ParseOrText(text) : text;
        }

        return bundle;
    }

    /// <summary>True for MIME types whose bundle value is JSON.</summary>
    public static bool IsJson(string mimeType)
    {
        var semicolon = mimeType.IndexOf(';');
        var bare = (semicolon >= 0 ? mimeType[..semicolon] : mimeType).Trim();
        return bare.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || bare.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    private static JToken ParseOrText(string text)
    {
        try
        {
            using var reader = new JsonTextReader(new StringReader(text)) { DateParseHandling = DateParseHandling.None };
            var token = JToken.ReadFrom(reader);
            return reader.Read() ? text : token;
        }
        catch (JsonException)
        {
            return text;
        }
    }
}
