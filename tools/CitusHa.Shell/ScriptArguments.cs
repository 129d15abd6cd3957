using System.Management.Automation;

namespace CitusHa.Shell;

/// <summary>Binds command-line words to a script command the way pwsh -File does: -Name value, -Switch, positionals.</summary>
internal static class ScriptArguments
{
    public static void Bind(PowerShell ps, string[] words)
    {
        for (var i = 0; i < words.Length; i++)
        {
            var word = words[i];
            if (word.Length > 1 && word[0] == '-' && !char.IsDigit(word[1]))
            {
                var colon = word.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0)
                {
                    ps.AddParameter(word[1..colon], word[(colon + 1)..]);
                }
                else if (i + 1 < words.Length && !(words[i + 1].Length > 1 && words[i + 1][0] == '-' && !char.IsDigit(words[i + 1][1])))
                {
                    ps.AddParameter(word[1..], words[++i]);
                }
                else
                {
                    ps.AddParameter(word[1..]);
                }
            }
            else
            {
                ps.AddArgument(word);
            }
        }
    }
}
