using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace CitusHa.Completers;

/// <summary>Completes -Name with the clusters under the etcd namespace.</summary>
public sealed class ClusterNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompletionSource.Matching(
            CompletionSource.Clusters(fakeBoundParameters).Select(c => (c.Scope, $"{c.Scope}: {c.Groups.Count} group(s), {c.Members.Count()} member(s)")),
            wordToComplete);
}
