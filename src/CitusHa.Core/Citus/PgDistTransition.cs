namespace CitusHa.Core.Citus;

/// <summary>The statements that turn a group's current rows into the desired ones, and the rows after them.</summary>
/// <param name="Steps">In order; more than one must run in one transaction.</param>
/// <param name="Result">
/// The rows once the steps ran. Nodes added by <see cref="PgDistStep.Add"/> have no node id yet
/// (the adapter learns it). While <see cref="PgDistGroup.Failover"/> is set, nodes that should be
/// added or removed are left for a later transition and the result says so.
/// </param>
public sealed record PgDistTransition(IReadOnlyList<PgDistStep> Steps, PgDistGroup Result)
{
    /// <summary>
    /// Patroni's transition rules (patroni/postgresql/mpp/citus.py, PgDistGroup.transition), which follow
    /// what Citus allows: the primary row keeps its nodeid for ever; (nodename, nodeport) is unique, so a
    /// host:port moves to another row only after its old row was renamed; citus_update_node always works
    /// (also on broken nodes) while adding or removing a node is a 2PC that fails while the primary row
    /// has an uncommitted change, so add/remove never share a transaction with a primary change; rows of
    /// gone secondaries are reused for new ones instead of remove + add.
    /// </summary>
    public static PgDistTransition Plan(PgDistGroup current, PgDistGroup desired)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(desired);
        var work = new Planner(current, desired);
        work.Run();
        return new PgDistTransition(work.Steps, work.Result());
    }

    /// <summary>A mutable copy of both sides; nodes are identified by host:port as in the catalog.</summary>
    private sealed class Planner
    {
        private readonly int groupId;
        private readonly List<Row> old;
        private readonly List<Row> wanted;
        private bool failover;

        public Planner(PgDistGroup current, PgDistGroup desired)
        {
            if (desired.Primary is null)
            {
                throw new ArgumentException("The desired rows of a group need a primary.", nameof(desired));
            }

            groupId = desired.GroupId;
            old = current.Nodes.Select(Row.From).ToList();
            wanted = desired.Nodes.Select(Row.From).ToList();
            failover = current.Failover;
        }

        public List<PgDistStep> Steps { get; } = [];

        public PgDistGroup Result() => new(groupId, wanted.Select(r => r.ToNode()).ToList(), failover);

        public void Run()
        {
            var newPrimary = wanted.First(r => r.IsPrimary);
            var oldPrimary = old.FirstOrDefault(r => r.IsPrimary);
            var gone = Ordered(old.Where(o => !Contains(wanted, o) && !(oldPrimary is not null && o.SameAddress(oldPrimary))));
            var added = Ordered(wanted.Where(n => !Contains(old, n) && !n.SameAddress(newPrimary)));

            if (oldPrimary is null)
            {
                Emit(newPrimary); // the group's first row
            }
            else if (oldPrimary.SameAddress(newPrimary))
            {
                newPrimary.NodeId = oldPrimary.NodeId;
                if (oldPrimary.Role != newPrimary.Role)
                {
                    // primary <-> demoted: pausing or resuming the group's traffic in the open transaction.
                    failover = true;
                    Emit(newPrimary);
                }
            }
            else
            {
                ChangePrimary(oldPrimary, newPrimary, gone, added);
            }

            // Surviving secondaries keep their rows.
            foreach (var n in wanted.Where(n => !n.IsPrimary && n.NodeId is null))
            {
                n.NodeId = old.FirstOrDefault(o => !o.IsPrimary && o.SameAddress(n))?.NodeId;
            }

            // A gone secondary's row becomes a new secondary's row.
            while (gone.Count > 0 && added.Count > 0)
            {
                var a = Pop(added);
                a.NodeId = Pop(gone).NodeId;
                Emit(a);
            }

            foreach (var g in gone)
            {
                if (failover)
                {
                    wanted.Add(g); // removed once the primary change committed
                }
                else
                {
                    Steps.Add(new PgDistStep.Remove(g.Host, g.Port));
                }
            }

            foreach (var a in added)
            {
                if (failover)
                {
                    wanted.Remove(a); // added once the primary change committed
                }
                else
                {
                    Emit(a);
                }
            }
        }

        private void ChangePrimary(Row oldPrimary, Row newPrimary, List<Row> gone, List<Row> added)
        {
            failover = true;
            var promotedRow = old.FirstOrDefault(o => o.SameAddress(newPrimary));
            var oldPrimaryNew = wanted.FirstOrDefault(n => n.SameAddress(oldPrimary));
            if (promotedRow is not null)
            {
                Row? reused = null;
                if (oldPrimaryNew is null && added.Count > 0)
                {
                    // The old primary is gone and a new secondary came: it takes the promoted secondary's row.
                    reused = Pop(added);
                    reused.NodeId = promotedRow.NodeId;
                    Emit(reused);
                    oldPrimary.Role = PgDistRole.Secondary;
                }
                else if (oldPrimary.Role == PgDistRole.Primary)
                {
                    // Free the old primary's name before it moves into the promoted secondary's row.
                    oldPrimary.Role = PgDistRole.Demoted;
                    Emit(oldPrimary);
                }

                if (oldPrimaryNew is null && reused is null)
                {
                    // Nodes cannot be removed while metadata is out of sync: keep the old primary as a secondary for now.
                    oldPrimaryNew = new Row(oldPrimary.Host, oldPrimary.Port, promotedRow.Role, null);
                    wanted.Add(oldPrimaryNew);
                }

                if (oldPrimaryNew is not null)
                {
                    oldPrimaryNew.NodeId = promotedRow.NodeId;
                    Emit(oldPrimaryNew);
                }
            }

            newPrimary.NodeId = oldPrimary.NodeId;
            Emit(newPrimary);

            if (promotedRow is null && gone.Count > 0)
            {
                // Mid-switchover the primary disappeared: keep it as a secondary in a gone secondary's row.
                if (oldPrimaryNew is null && oldPrimary.Role == PgDistRole.Demoted && gone.Count > added.Count)
                {
                    oldPrimaryNew = new Row(oldPrimary.Host, oldPrimary.Port, PgDistRole.Secondary, null);
                    wanted.Add(oldPrimaryNew);
                }

                if (oldPrimaryNew is not null)
                {
                    oldPrimaryNew.NodeId = Pop(gone).NodeId;
                    Emit(oldPrimaryNew);
                }
            }
        }

        /// <summary>A row becomes update (it has a nodeid) or add (it has none; demoted rows are never added).</summary>
        private void Emit(Row row)
        {
            if (row.NodeId is { } id)
            {
                Steps.Add(new PgDistStep.Update(id, row.ToNode().NodeName, row.Port));
            }
            else if (row.Role != PgDistRole.Demoted)
            {
                Steps.Add(new PgDistStep.Add(row.Host, row.Port, groupId, row.Role));
            }
        }

        private static bool Contains(List<Row> rows, Row row) => rows.Exists(r => r.SameAddress(row));

        private static List<Row> Ordered(IEnumerable<Row> rows) => rows.OrderBy(r => r.Host, StringComparer.Ordinal).ThenBy(r => r.Port).ToList();

        private static Row Pop(List<Row> rows)
        {
            var first = rows[0];
            rows.RemoveAt(0);
            return first;
        }
    }

    private sealed class Row(string host, int port, PgDistRole role, int? nodeId)
    {
        public string Host { get; } = host;

        public int Port { get; } = port;

        public PgDistRole Role { get; set; } = role;

        public int? NodeId { get; set; } = nodeId;

        public bool IsPrimary => Role is PgDistRole.Primary or PgDistRole.Demoted;

        public bool SameAddress(Row other) => Host == other.Host && Port == other.Port;

        public static Row From(PgDistNode n) => new(n.Host, n.Port, n.Role, n.NodeId);

        public PgDistNode ToNode() => new(Host, Port, Role, NodeId);
    }
}
