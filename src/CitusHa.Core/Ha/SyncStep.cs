namespace CitusHa.Core.Ha;

/// <summary>
/// One safe step from the synchronous voters the <c>sync</c> key names (<paramref name="Voters"/> is
/// what both the key and <c>synchronous_standby_names</c> will name after it) and the order of the two
/// writes: the key first when voters are added (PostgreSQL never counts a standby the key does not
/// know), PostgreSQL first when voters are removed (the key never forgets a standby PostgreSQL still
/// counts).
/// </summary>
public sealed record SyncStep(IReadOnlyList<string> Voters, bool KeyFirst)
{
    /// <summary>
    /// The next step from <paramref name="current"/> (the key's voters; null when the key is not ours
    /// or absent) towards <paramref name="target"/> (the eligible streaming standbys), or null when
    /// there is nothing to do. Replacing a voter takes two steps, add then remove: done at once, one
    /// write would briefly let the outgoing voter win a promotion it should lose (PostgreSQL already
    /// counts only the newcomer while the key still names only the one leaving) or let a commit
    /// be acknowledged by a standby no promotion would consider.
    /// </summary>
    /// <param name="current">The voters the <c>sync</c> key names, when the key is this leader's.</param>
    /// <param name="target">The voters wanted: the eligible streaming standbys.</param>
    /// <param name="startingFromAsynchronous">PostgreSQL counts no standby yet: any step may write the key first.</param>
    public static SyncStep? Next(IReadOnlyList<string>? current, IReadOnlyList<string> target, bool startingFromAsynchronous)
    {
        ArgumentNullException.ThrowIfNull(target);
        var wanted = target.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (current is null)
        {
            return new SyncStep(wanted, KeyFirst: true);
        }

        var adding = wanted.Except(current, StringComparer.OrdinalIgnoreCase).ToList();
        var removing = current.Except(wanted, StringComparer.OrdinalIgnoreCase).Any();
        if (adding.Count == 0 && !removing)
        {
            return null;
        }

        if (startingFromAsynchronous)
        {
            return new SyncStep(wanted, KeyFirst: true);
        }

        if (adding.Count > 0 && removing)
        {
            // Grow to both first; the removal follows in the next cycle.
            return new SyncStep([.. current.Concat(adding).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal)], KeyFirst: true);
        }

        if (adding.Count > 0)
        {
            return new SyncStep(wanted, KeyFirst: true);
        }

        return new SyncStep(wanted, KeyFirst: false);
    }
}
