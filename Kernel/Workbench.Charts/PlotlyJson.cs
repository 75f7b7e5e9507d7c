using System.Collections;
using Newtonsoft.Json;
using Newtonsoft.Json.Serialization;

namespace Workbench.Charts;

/// <summary>
/// The one place that decides how the figure model becomes plotly.js JSON, so the MIME bundle, the HTML
/// script and the golden-file tests all see the same bytes.
/// </summary>
internal static class PlotlyJson
{
    private static readonly JsonSerializerSettings s_plain = CreateSettings(StringEscapeHandling.Default);

    // Inside an inline <script>, a string such as "</script>" in a title would end the element early;
    // EscapeHtml writes <, >, &, ' and " as \uXXXX, which JavaScript reads back unchanged.
    private static readonly JsonSerializerSettings s_html = CreateSettings(StringEscapeHandling.EscapeHtml);

    public static string Serialize(object value, bool indented)
    {
        return JsonConvert.SerializeObject(value, indented ? Formatting.Indented : Formatting.None, s_plain);
    }

    public static string SerializeForScript(object value)
    {
        return JsonConvert.SerializeObject(value, Formatting.None, s_html);
    }

    /// <summary>Counts the items of a data array for summaries; strings count as one value.</summary>
    public static int Count(IEnumerable? values)
    {
        if (values is null)
        {
            return 0;
        }

        if (values is string)
        {
            return 1;
        }

        if (values is ICollection collection)
        {
            return collection.Count;
        }

        var count = 0;
        foreach (var _ in values)
        {
            count++;
        }

        return count;
    }

    private static JsonSerializerSettings CreateSettings(StringEscapeHandling escaping)
    {
        return new JsonSerializerSettings
        {
            // Attribute names come from [JsonProperty]; unset (null) attributes are left to plotly's defaults.
            ContractResolver = new DefaultContractResolver(),
            NullValueHandling = NullValueHandling.Ignore,
            StringEscapeHandling = escaping,
            Converters = { new NonFiniteAsNullConverter() },
        };
    }

    /// <summary>
    /// JSON has no NaN or infinity; plotly.js reads <c>null</c> as a gap, which is what a missing
    /// measurement should look like.
    /// </summary>
    private sealed class NonFiniteAsNullConverter : JsonConverter
    {
        public override bool CanRead => false;

        public override bool CanConvert(Type objectType)
        {
            return objectType == typeof(double) || objectType == typeof(float)
                || objectType == typeof(double?) || objectType == typeof(float?);
        }

        public override void WriteJson(JsonWriter writer, object? value, JsonSerializer serializer)
        {
            switch (value)
            {
                case double d when double.IsFinite(d):
                    writer.WriteValue(d);
                    break;
                case float f when float.IsFinite(f):
                    writer.WriteValue(f);
                    break;
                default:
                    writer.WriteNull();
                    break;
            }
        }

        public override object? ReadJson(JsonReader reader, Type objectType, object? existingValue, JsonSerializer serializer)
        {
            throw new NotSupportedException("The figure model is only ever written.");
        }
    }
}
