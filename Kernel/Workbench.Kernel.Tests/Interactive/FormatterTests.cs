using Workbench.Interactive;
using Workbench.Interactive.Formatting;
using CSharpKernel = Workbench.Interactive.Kernel;

namespace Workbench.Kernel.Tests.Interactive;

/// <summary>Formatter registrations are process-wide, so every test that registers runs in this one collection.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FormatterCollection
{
    public const string Name = "Formatter registrations";
}

[Collection(FormatterCollection.Name)]
public sealed class FormatterTests : IDisposable
{
    public FormatterTests() => Formatter.ResetToDefault();

    public void Dispose() => Formatter.ResetToDefault();

    [Fact]
    public void Duck_typed_attribute_supplies_formatters_and_preferred_mime_types()
    {
        IReadOnlyDictionary<string, string> bundle = Formatter.ToFormattedValues(new Gauge(7));
        Assert.Equal(new[] { "text/plain", "text/html", "application/vnd.gauge+json" }, bundle.Keys);
        Assert.Equal("<meter value=\"7\"></meter>", bundle["text/html"]);
        Assert.Equal("{\"value\":7}", bundle["application/vnd.gauge+json"]);
        Assert.Equal("Gauge at 7", bundle["text/plain"]);
    }

    [Fact]
    public void Duck_typed_attribute_applies_to_derived_types()
    {
        IReadOnlyDictionary<string, string> bundle = Formatter.ToFormattedValues(new RedGauge(3));
        Assert.Equal("<meter value=\"3\"></meter>", bundle["text/html"]);
    }

    [Fact]
    public void A_formatter_that_declines_falls_back_to_the_default()
    {
        IReadOnlyDictionary<string, string> bundle = Formatter.ToFormattedValues(new Gauge(-1));
        Assert.Equal("Gauge { Value = -1 }", bundle["text/plain"]);
    }

    [Fact]
    public void Registration_beats_the_attribute_and_the_latest_registration_wins()
    {
        Formatter.Register<Gauge>(g => $"<b>{g.Value}</b>", "text/html");
        Assert.Equal("<b>7</b>", Formatter.ToDisplayString(new Gauge(7), "text/html"));

        Formatter.Register<Gauge>((g, writer) => writer.Write($"<i>{g.Value}</i>"), "text/html");
        Assert.Equal("<i>7</i>", Formatter.ToDisplayString(new Gauge(7), "text/html"));

        Formatter.ResetToDefault();
        Assert.Equal("<meter value=\"7\"></meter>", Formatter.ToDisplayString(new Gauge(7), "text/html"));
    }

    [Fact]
    public void The_most_specific_registration_wins()
    {
        Formatter.Register<Gauge>(_ => "base", "text/plain");
        Formatter.Register<RedGauge>(_ => "derived", "text/plain");
        Formatter.Register(typeof(object), (_, writer) => writer.Write("object"), "text/plain");
        Assert.Equal("derived", new RedGauge(1).ToDisplayString());
        Assert.Equal("base", new Gauge(1).ToDisplayString());
        Assert.Equal("object", new Uri("http://example.org").ToDisplayString());
    }

    [Fact]
    public void Open_generic_and_interface_registrations_apply()
    {
        Formatter.Register(typeof(List<>), (value, writer) => writer.Write("a list"), "text/plain");
        Formatter.Register<IReadOnlyCollection<int>>(c => $"{c.Count} ints", "text/plain");
        Assert.Equal("a list", new List<string> { "x" }.ToDisplayString());
        Assert.Equal("2 ints", new HashSet<int> { 1, 2 }.ToDisplayString());
    }

    [Fact]
    public void Preferred_mime_types_choose_the_bundle_and_text_plain_is_always_there()
    {
        Formatter.SetPreferredMimeTypesFor(typeof(Gauge), "application/vnd.gauge+json");
        IReadOnlyDictionary<string, string> bundle = Formatter.ToFormattedValues(new Gauge(2));
        Assert.Equal(new[] { "text/plain", "application/vnd.gauge+json" }, bundle.Keys);

        IReadOnlyDictionary<string, string> requested = Formatter.ToFormattedValues(new Gauge(2), new[] { "text/html" });
        Assert.Equal(new[] { "text/plain", "text/html" }, requested.Keys);
    }

    [Fact]
    public void Defaults_render_collections_objects_and_scalars()
    {
        Assert.Equal("[ 1, 2, 3 ]", new[] { 1, 2, 3 }.ToDisplayString());
        Assert.Equal("{ a: 1 }", new Dictionary<string, int> { ["a"] = 1 }.ToDisplayString());
        Assert.Equal("Plain { Name = <x>, Items = [ 1 ] }", new Plain { Name = "<x>", Items = { 1 } }.ToDisplayString());
        Assert.Equal("1.5", 1.5.ToDisplayString());
        Assert.Equal(new[] { "text/plain" }, Formatter.ToFormattedValues(42).Keys);
        Assert.Equal(new[] { "text/plain", "text/html" }, Formatter.ToFormattedValues(new Plain()).Keys);
    }

    [Fact]
    public void Html_default_is_a_table_with_encoded_text()
    {
        string html = new[] { new Plain { Name = "<script>" } }.ToDisplayString("text/html");
        Assert.Contains("<th>Name</th>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void List_expansion_limit_truncates()
    {
        Formatter.ListExpansionLimit = 3;
        Assert.Equal("[ 0, 1, 2, ... (more) ]", Enumerable.Range(0, 10).ToDisplayString());
        Assert.Contains("... (more)", Enumerable.Range(0, 10).ToDisplayString("text/html"), StringComparison.Ordinal);
    }

    [Fact]
    public void Recursion_limit_stops_self_references()
    {
        var node = new Node();
        node.Next = node;
        string text = node.ToDisplayString();
        Assert.StartsWith("Node { Next = Node { Next = ", text, StringComparison.Ordinal);
        Assert.True(text.Length < 500);
    }

    [Fact]
    public void Throwing_formatters_do_not_break_display()
    {
        Formatter.Register<Plain>(_ => throw new InvalidOperationException("bad html"), "text/html");
        IReadOnlyDictionary<string, string> bundle = Formatter.ToFormattedValues(new Plain { Name = "n" });
        Assert.Equal(new[] { "text/plain" }, bundle.Keys);
    }

    [Fact]
    public async Task Cell_return_values_use_registered_formatters()
    {
        CSharpKernel kernel = CSharpKernel.CreateCSharpKernel();
        await KernelRun.SubmitOkAsync(kernel, "record Temperature(double Celsius);\nFormatter.Register<Temperature>(t => $\"{t.Celsius} °C\", \"text/plain\");");
        KernelRun run = await KernelRun.SubmitOkAsync(kernel, "new Temperature(21.5)");
        Assert.Equal("21.5 °C", run.ReturnText);
        Assert.True(run.ReturnValue!.ContainsKey("text/html"));
    }

    public sealed class Plain
    {
        public string Name { get; set; } = string.Empty;

        public List<int> Items { get; } = new();
    }

    public sealed class Node
    {
        public Node? Next { get; set; }
    }
}

/// <summary>A library's own attribute: same name and shape as .NET Interactive's, no dependency on the kernel.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = true)]
internal sealed class TypeFormatterSourceAttribute : Attribute
{
    public TypeFormatterSourceAttribute(Type formatterSourceType) => FormatterSourceType = formatterSourceType;

    public Type FormatterSourceType { get; }

    public string[]? PreferredMimeTypes { get; set; }
}

[TypeFormatterSource(typeof(GaugeFormatterSource))]
public class Gauge
{
    public Gauge(int value) => Value = value;

    public int Value { get; }
}

public sealed class RedGauge : Gauge
{
    public RedGauge(int value)
        : base(value)
    {
    }
}

internal sealed class GaugeFormatterSource
{
    public IEnumerable<object> CreateTypeFormatters() => new object[]
    {
        new GaugeFormatter("text/plain", g => g.Value < 0 ? null : $"Gauge at {g.Value}"),
        new GaugeFormatter("text/html", g => $"<meter value=\"{g.Value}\"></meter>"),
        new GaugeFormatter("application/vnd.gauge+json", g => $"{{\"value\":{g.Value}}}"),
    };

    private sealed class GaugeFormatter
    {
        private readonly Func<Gauge, string?> _format;

        public GaugeFormatter(string mimeType, Func<Gauge, string?> format)
        {
            MimeType = mimeType;
            _format = format;
        }

        public string MimeType { get; }

        public bool Format(object instance, TextWriter writer)
        {
            string? text = _format((Gauge)instance);
            if (text is null)
            {
                return false;
            }

            writer.Write(text);
            return true;
        }
    }
}
