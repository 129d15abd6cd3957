using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace CitusHa.Completers;

/// <summary>Completes -Group with the cluster's Citus groups (0 is the coordinator).</summary>
public sealed class GroupCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompletionSource.Matching(
            (CompletionSource.Cluster(fakeBoundParameters)?.Groups ?? [])
                .Where(g => g.Group is not null)
                .Select(g => (g.Group!.Value.ToString(CultureInfo.InvariantCulture), $"group {g.Group}{(g.Group == 0 ? " (coordinator)" : string.Empty)}: leader {g.Leader ?? "none"}, {g.Members.Count} member(s)")),
            wordToComplete);
}
