using System.Reflection;
using CitusHa.Core.Ha;

namespace CitusHa.Core.Tests.Ha;

/// <summary>The decision rules stay pure: nothing in Ha/ can reach an adapter, an SDK or the clock.</summary>
public sealed class HaPurityTests
{
    [Fact]
    public void Ha_types_reference_no_adapter_sdk_or_io_type()
    {
        var haTypes = typeof(Decider).Assembly.GetTypes().Where(t => t.Namespace == "CitusHa.Core.Ha").ToList();
        haTypes.Count.ShouldBeGreaterThan(10);
        var flags = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var type in haTypes)
        {
            var referenced = type.GetFields(flags).Select(f => f.FieldType)
                .Concat(type.GetProperties(flags).Select(p => p.PropertyType))
                .Concat(type.GetMethods(flags).SelectMany(m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType)))
                .SelectMany(Flatten)
                .Distinct();
            foreach (var used in referenced)
            {
                var ok = used.Assembly == typeof(Decider).Assembly ? used.Namespace is "CitusHa.Core.Ha" or "CitusHa.Core.Errors" : used.Namespace?.StartsWith("System", StringComparison.Ordinal) == true;
                ok.ShouldBeTrue($"{type.Name} uses {used.FullName}");
                used.ShouldNotBe(typeof(TimeProvider), $"{type.Name} must take the time from the view");
                (used.Namespace?.StartsWith("System.IO", StringComparison.Ordinal) ?? false).ShouldBeFalse($"{type.Name} uses {used.FullName}");
                (used.Namespace?.StartsWith("System.Net", StringComparison.Ordinal) ?? false).ShouldBeFalse($"{type.Name} uses {used.FullName}");
            }
        }
    }

    private static IEnumerable<Type> Flatten(Type type) =>
        type.IsGenericType ? type.GetGenericArguments().SelectMany(Flatten).Append(type.GetGenericTypeDefinition())
        : type.HasElementType ? Flatten(type.GetElementType()!)
        : [type];
}
