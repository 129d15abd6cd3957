using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using CitusHa.Core.Model;

namespace CitusHa.Completers;

/// <summary>Completes -Candidate/-Member with the group's members; standbys first, the leader last.</summary>
public sealed class MemberCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var group = fakeBoundParameters["Group"] switch
        {
            int g => g,
            int[] { Length: 1 } gs => gs[0],
            _ => (int?)null,
        };
        var members = (CompletionSource.Cluster(fakeBoundParameters)?.Groups ?? [])
            .Where(g => group is null || g.Group == group)
            .SelectMany(g => g.Members)
            .OrderBy(m => m.Role is MemberRole.Leader or MemberRole.StandbyLeader ? 1 : 0)
            .ThenBy(m => m.Name, StringComparer.Ordinal);
        return CompletionSource.Matching(members.Select(m => (m.Name, $"{m.Name}: group {m.Group}, {m.Role}, {m.State}")), wordToComplete);
    }
}
